-- Runs get a lifecycle of their own (queued → training → evaluating → succeeded | failed | cancelled),
-- experiments a mark of their flow having been added (issue 14). Written from
--   prisma migrate diff --from-schema-datamodel <0002's schema> --to-schema-datamodel prisma/schema.prisma --script
-- except that the diff drops runs.status and adds it again (every status lost); here the column is
-- converted in place (running → training; a succeeded run without metrics was trained, not yet
-- evaluated → evaluating), which keeps its indexes. The partial index at the end is hand-written:
-- Prisma cannot express WHERE in an index.

-- CreateEnum
CREATE TYPE "run_status" AS ENUM ('queued', 'training', 'evaluating', 'succeeded', 'failed', 'cancelled');

-- AlterTable
ALTER TABLE "runs" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "runs" ALTER COLUMN "status" TYPE "run_status"
  USING (CASE WHEN "status" = 'running' THEN 'training' ELSE "status"::text END)::"run_status";
ALTER TABLE "runs" ALTER COLUMN "status" SET DEFAULT 'queued';
-- (a transform expression may not hold a subquery, hence a second statement)
UPDATE "runs" SET "status" = 'evaluating'
  WHERE "status" = 'succeeded' AND NOT EXISTS (SELECT 1 FROM "metrics" m WHERE m."run_id" = "runs"."id");

-- AlterTable: experiments made before this migration had their flow added in the same request.
ALTER TABLE "experiments" ADD COLUMN "enqueued_at" TIMESTAMPTZ(3);
UPDATE "experiments" SET "enqueued_at" = "created_at";

-- Hand-written: the reconciler's scan for experiments whose flow was never added.
CREATE INDEX "experiments_flow_pending_idx" ON "experiments"("created_at") WHERE "enqueued_at" IS NULL;
