-- CreateTable
CREATE TABLE "batches" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "model_id" UUID NOT NULL,
    "status" "job_status" NOT NULL DEFAULT 'queued',
    "options" JSONB NOT NULL,
    "output" JSONB NOT NULL,
    "callback_url" TEXT,
    "idempotency_key" TEXT,
    "request_sha256" CHAR(64) NOT NULL,
    "round" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "summary" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_inputs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "batch_id" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "status" "job_status" NOT NULL DEFAULT 'queued',
    "error" TEXT,
    "page_count" INTEGER,
    "height" INTEGER,
    "width" INTEGER,
    "dtype" TEXT,
    "pixel_size_nm" DOUBLE PRECISION,
    "spacing_nm" DOUBLE PRECISION,
    "output_key" TEXT,
    "std_key" TEXT,

    CONSTRAINT "batch_inputs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_tasks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "batch_id" UUID NOT NULL,
    "input_id" UUID NOT NULL,
    "page" INTEGER NOT NULL,
    "tile" INTEGER NOT NULL DEFAULT 0,
    "tile_count" INTEGER NOT NULL DEFAULT 1,
    "core" JSONB NOT NULL,
    "window" JSONB NOT NULL,
    "status" "job_status" NOT NULL DEFAULT 'queued',
    "error" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "writes" INTEGER NOT NULL DEFAULT 0,
    "result_key" TEXT NOT NULL,
    "worker" TEXT,
    "samples_used" INTEGER,
    "standard_error" DOUBLE PRECISION,
    "discrepancy" DOUBLE PRECISION,
    "discrepancy_pixels" INTEGER,
    "mean_std" DOUBLE PRECISION,
    "duration_ms" INTEGER,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "batch_tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_callback_attempts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "batch_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "status_code" INTEGER,
    "error" TEXT,
    "duration_ms" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "batch_callback_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "batches_idempotency_key_key" ON "batches"("idempotency_key");

-- CreateIndex
CREATE INDEX "batches_status_created_at_idx" ON "batches"("status", "created_at" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "batch_inputs_batch_id_ordinal_key" ON "batch_inputs"("batch_id", "ordinal");

-- CreateIndex
CREATE INDEX "batch_tasks_batch_id_status_idx" ON "batch_tasks"("batch_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "batch_tasks_input_id_page_tile_key" ON "batch_tasks"("input_id", "page", "tile");

-- CreateIndex
CREATE INDEX "batch_callback_attempts_batch_id_created_at_idx" ON "batch_callback_attempts"("batch_id", "created_at");

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_inputs" ADD CONSTRAINT "batch_inputs_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_tasks" ADD CONSTRAINT "batch_tasks_input_id_fkey" FOREIGN KEY ("input_id") REFERENCES "batch_inputs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_callback_attempts" ADD CONSTRAINT "batch_callback_attempts_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

