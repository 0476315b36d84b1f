-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "dataset_source" AS ENUM ('upload', 's3', 'synthetic');

-- CreateEnum
CREATE TYPE "noise_sigma_source" AS ENUM ('given', 'estimated');

-- CreateEnum
CREATE TYPE "job_status" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "method" AS ENUM ('divblurring', 'divnoising');

-- CreateEnum
CREATE TYPE "penalty" AS ENUM ('none', 'l1', 'l2', 'positivity', 'positivity_l1');

-- CreateTable
CREATE TABLE "datasets" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "source" "dataset_source" NOT NULL,
    "count" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "width" INTEGER NOT NULL,
    "dtype" TEXT NOT NULL,
    "stats" JSONB NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "noisy_key" TEXT NOT NULL,
    "gt_key" TEXT,
    "psf_key" TEXT,
    "psf_height" INTEGER,
    "psf_width" INTEGER,
    "pixel_size_nm" DOUBLE PRECISION,
    "noise_sigma" DOUBLE PRECISION,
    "noise_sigma_source" "noise_sigma_source",
    "meta" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "datasets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "experiments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "dataset_id" UUID NOT NULL,
    "spec" JSONB NOT NULL,
    "sweep" JSONB,
    "status" "job_status" NOT NULL DEFAULT 'queued',
    "idempotency_key" TEXT,
    "run_count" INTEGER NOT NULL,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "experiments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "runs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "experiment_id" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL DEFAULT 0,
    "method" "method" NOT NULL,
    "penalty" "penalty" NOT NULL,
    "lambda" DOUBLE PRECISION NOT NULL,
    "kappa" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "seed" INTEGER NOT NULL,
    "noise_sigma" DOUBLE PRECISION,
    "network" JSONB NOT NULL,
    "training" JSONB NOT NULL,
    "status" "job_status" NOT NULL DEFAULT 'queued',
    "progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "steps_done" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    "train_ms" INTEGER,
    "eval_ms" INTEGER,
    "psnr_mmse" DOUBLE PRECISION,
    "psnr_samples" DOUBLE PRECISION,
    "ssim" DOUBLE PRECISION,

    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "loss_points" (
    "run_id" UUID NOT NULL,
    "step" INTEGER NOT NULL,
    "total" DOUBLE PRECISION NOT NULL,
    "data_term" DOUBLE PRECISION,
    "kl" DOUBLE PRECISION,
    "penalty" DOUBLE PRECISION,
    "beta" DOUBLE PRECISION,

    CONSTRAINT "loss_points_pkey" PRIMARY KEY ("run_id","step")
);

-- CreateTable
CREATE TABLE "checkpoints" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "run_id" UUID NOT NULL,
    "step" INTEGER NOT NULL,
    "blob_key" TEXT NOT NULL,
    "size_bytes" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "checkpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "models" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "run_id" UUID NOT NULL,
    "onnx_key" TEXT NOT NULL,
    "files" JSONB NOT NULL DEFAULT '{}',
    "package_key" TEXT,
    "size_bytes" BIGINT,
    "opset" INTEGER,
    "meta" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metrics" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "run_id" UUID NOT NULL,
    "model_id" UUID,
    "image_set" TEXT NOT NULL,
    "psnr_mmse" DOUBLE PRECISION,
    "psnr_samples" DOUBLE PRECISION,
    "ssim" DOUBLE PRECISION,
    "samples" INTEGER NOT NULL,
    "discrepancy" DOUBLE PRECISION,
    "mean_std" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "metrics_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "baselines" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "dataset_id" UUID NOT NULL,
    "method" TEXT NOT NULL,
    "image_set" TEXT NOT NULL,
    "params" JSONB NOT NULL DEFAULT '{}',
    "psnr" DOUBLE PRECISION,
    "ssim" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "baselines_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "datasets_created_at_id_idx" ON "datasets"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "datasets_sha256_idx" ON "datasets"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "experiments_idempotency_key_key" ON "experiments"("idempotency_key");

-- CreateIndex
CREATE INDEX "experiments_dataset_id_created_at_idx" ON "experiments"("dataset_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "experiments_status_created_at_idx" ON "experiments"("status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "experiments_created_at_id_idx" ON "experiments"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "runs_experiment_id_status_idx" ON "runs"("experiment_id", "status");

-- CreateIndex
CREATE INDEX "runs_experiment_id_penalty_lambda_idx" ON "runs"("experiment_id", "penalty", "lambda");

-- CreateIndex
CREATE INDEX "runs_experiment_id_psnr_mmse_idx" ON "runs"("experiment_id", "psnr_mmse" DESC);

-- CreateIndex
CREATE INDEX "runs_psnr_mmse_id_idx" ON "runs"("psnr_mmse" DESC, "id");

-- CreateIndex
CREATE INDEX "runs_penalty_lambda_idx" ON "runs"("penalty", "lambda");

-- CreateIndex
CREATE INDEX "runs_status_created_at_idx" ON "runs"("status", "created_at" DESC);

-- CreateIndex
CREATE INDEX "runs_created_at_id_idx" ON "runs"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "runs_experiment_id_ordinal_key" ON "runs"("experiment_id", "ordinal");

-- CreateIndex
CREATE UNIQUE INDEX "checkpoints_run_id_step_key" ON "checkpoints"("run_id", "step");

-- CreateIndex
CREATE UNIQUE INDEX "models_run_id_key" ON "models"("run_id");

-- CreateIndex
CREATE UNIQUE INDEX "metrics_run_id_image_set_key" ON "metrics"("run_id", "image_set");

-- CreateIndex
CREATE UNIQUE INDEX "baselines_dataset_id_method_image_set_key" ON "baselines"("dataset_id", "method", "image_set");

-- AddForeignKey
ALTER TABLE "experiments" ADD CONSTRAINT "experiments_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "runs" ADD CONSTRAINT "runs_experiment_id_fkey" FOREIGN KEY ("experiment_id") REFERENCES "experiments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "loss_points" ADD CONSTRAINT "loss_points_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "checkpoints" ADD CONSTRAINT "checkpoints_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "models" ADD CONSTRAINT "models_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "metrics" ADD CONSTRAINT "metrics_model_id_fkey" FOREIGN KEY ("model_id") REFERENCES "models"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "baselines" ADD CONSTRAINT "baselines_dataset_id_fkey" FOREIGN KEY ("dataset_id") REFERENCES "datasets"("id") ON DELETE CASCADE ON UPDATE CASCADE;

