/**
 * The reset program's static check, inside `npm test` (CI runs only that): `npm run
 * typecheck:python`, i.e. mypy --strict for Python 3.9 (the helper's python3) on
 * scripts/linux/reset_ssh_key, mypy on its unit tests, pyflakes on both. Skipped with the reason
 * where Debian's mypy or pyflakes3 is missing (tools/deps installs them).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { requireCapability } from "../support/requirements";

const ROOT = path.resolve(__dirname, "../..");

describe("reset program: static check for Python 3.9", function () {
    it("npm run typecheck:python finds nothing (mypy --strict --python-version 3.9, pyflakes)", function () {
        requireCapability(this, "mypy", "pyflakes3");
        this.timeout(300_000);
        const run = spawnSync("npm", ["run", "-s", "typecheck:python"], {
            cwd: ROOT,
            env: {
                ...process.env,
                MYPY_CACHE_DIR: path.join(os.tmpdir(), "ec2-reset-access-mypy-cache"),
            },
            encoding: "utf8",
        });
        assert.equal(run.status, 0, `npm run typecheck:python failed:\n${run.stdout}${run.stderr}`);
        assert.match(run.stdout, /Success: no issues found in \d+ source files/);
    });
});
