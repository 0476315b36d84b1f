-- GET /v1/runs sorts on plain columns with NULLs last and keyset pages on (column, id)
-- (apps/api/src/repo/run-query.ts). The first part was written by
--   prisma migrate diff --from-schema-datamodel <0001's schema> --to-schema-datamodel prisma/schema.prisma --script
-- (λ sorts: id added as the tie-breaker; the psnr_mmse indexes of 0001 were DESC NULLS FIRST, which
-- a NULLS LAST order cannot use). The second part is written by hand: Prisma cannot express
-- NULLS LAST in an index (schema.prisma says so beside the run model's indexes).
-- DropIndex
DROP INDEX "runs_experiment_id_penalty_lambda_idx";

-- DropIndex
DROP INDEX "runs_experiment_id_psnr_mmse_idx";

-- DropIndex
DROP INDEX "runs_psnr_mmse_id_idx";

-- DropIndex
DROP INDEX "runs_penalty_lambda_idx";

-- CreateIndex
CREATE INDEX "runs_experiment_id_penalty_lambda_id_idx" ON "runs"("experiment_id", "penalty", "lambda", "id");

-- CreateIndex
CREATE INDEX "runs_penalty_lambda_id_idx" ON "runs"("penalty", "lambda", "id");

-- CreateIndex
CREATE INDEX "runs_lambda_id_idx" ON "runs"("lambda", "id");


-- Hand-written: metric sorts, NULLs (unevaluated runs) last, ties by id; global and per experiment.
-- A descending page is a forward scan; an ascending metric sort is served by a sort.
CREATE INDEX "runs_psnr_mmse_id_nulls_last_idx" ON "runs"("psnr_mmse" DESC NULLS LAST, "id" DESC);
CREATE INDEX "runs_experiment_id_psnr_mmse_id_nulls_last_idx" ON "runs"("experiment_id", "psnr_mmse" DESC NULLS LAST, "id" DESC);
CREATE INDEX "runs_psnr_samples_id_nulls_last_idx" ON "runs"("psnr_samples" DESC NULLS LAST, "id" DESC);
CREATE INDEX "runs_experiment_id_psnr_samples_id_nulls_last_idx" ON "runs"("experiment_id", "psnr_samples" DESC NULLS LAST, "id" DESC);
CREATE INDEX "runs_ssim_id_nulls_last_idx" ON "runs"("ssim" DESC NULLS LAST, "id" DESC);
CREATE INDEX "runs_experiment_id_ssim_id_nulls_last_idx" ON "runs"("experiment_id", "ssim" DESC NULLS LAST, "id" DESC);
