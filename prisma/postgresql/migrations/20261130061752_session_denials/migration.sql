-- CreateTable
CREATE TABLE "session_denials" (
    "key" TEXT NOT NULL,
    "issued_before" TIMESTAMP(3),
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "session_denials_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "session_denials_expires_at_idx" ON "session_denials"("expires_at");
