-- CreateTable
CREATE TABLE "session_denials" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "issued_before" DATETIME,
    "expires_at" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "session_denials_expires_at_idx" ON "session_denials"("expires_at");

