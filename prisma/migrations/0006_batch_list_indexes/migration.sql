-- GET /v1/deconvolutions: the batches newest first, keyset on (created_at, id), of all models or of one.
-- CreateIndex
CREATE INDEX "batches_created_at_id_idx" ON "batches"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "batches_model_id_created_at_id_idx" ON "batches"("model_id", "created_at" DESC, "id" DESC);
