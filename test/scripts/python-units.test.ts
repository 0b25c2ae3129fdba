/**
 * The reset program's unit tests (test/scripts/python/test_*.py, Python unittest, one file per
 * module), run under mocha so `npm test` runs them: python3 -m unittest, and the test fails with
 * unittest's report when any of them fails. RESET_SSH_KEY_PYTHON picks another interpreter
 * (the helper's is 3.9).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");

describe("reset program: Python unit tests", function () {
    it("python3 -m unittest discover test/scripts/python passes", function () {
        this.timeout(120_000);
        const python = process.env.RESET_SSH_KEY_PYTHON ?? "python3";
        const run = spawnSync(
            python,
            [
                "-m",
                "unittest",
                "discover",
                "-b",
                "-s",
                "test/scripts/python",
                "-t",
                "test/scripts/python",
            ],
            {
                cwd: ROOT,
                env: {
                    ...process.env,
                    PYTHONPATH: path.join(ROOT, "scripts", "linux"),
                    PYTHONDONTWRITEBYTECODE: "1",
                },
                encoding: "utf8",
            },
        );
        assert.equal(run.status, 0, `${python} -m unittest failed:\n${run.stderr}${run.stdout}`);
        const ran = /Ran (\d+) tests?/.exec(run.stderr);
        assert.ok(ran && Number(ran[1]) >= 40, `expected the unit tests to run:\n${run.stderr}`);
        console.log(`      ${ran[0]} (${python})`);
    });
});
