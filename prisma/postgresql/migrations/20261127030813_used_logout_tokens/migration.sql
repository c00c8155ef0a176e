-- CreateTable
CREATE TABLE "used_logout_tokens" (
    "jti" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "used_logout_tokens_pkey" PRIMARY KEY ("jti")
);

-- CreateIndex
CREATE INDEX "used_logout_tokens_expires_at_idx" ON "used_logout_tokens"("expires_at");
