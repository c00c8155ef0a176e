-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "data" TEXT NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 0,
    "sub" TEXT,
    "sid" TEXT,
    "expires_at" DATETIME NOT NULL,
    "idle_expires_at" DATETIME NOT NULL,
    "lease_until" DATETIME,
    "lease_owner" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "sessions_sub_idx" ON "sessions"("sub");

-- CreateIndex
CREATE INDEX "sessions_sid_idx" ON "sessions"("sid");

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- CreateIndex
CREATE INDEX "sessions_idle_expires_at_idx" ON "sessions"("idle_expires_at");
