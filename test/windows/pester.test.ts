/**
 * Runs the Pester 5 tests beside this file (test/windows/*.Tests.ps1) in pwsh, one mocha test per
 * file: it passes when Pester ran tests there and none failed, and prints each Pester test with
 * its result. Skipped, with the reason, where pwsh or Pester is missing (test/windows/pwsh.ts).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { windowsDocumentContent } from "../../lib/windows-document";
import { PESTER_VERSION, pesterSkipReason, runPwsh, skipUnless } from "./pwsh";

interface PesterSummary {
    passed: number;
    failed: number;
    skipped: number;
    notRun: number;
    tests: { name: string; result: string; error: string | null }[];
}

/** Invoke-Pester on one file; its summary comes back as the last line, JSON. */
const RUN_PESTER = `$ErrorActionPreference = 'Stop'
Import-Module Pester -RequiredVersion ${PESTER_VERSION}
$configuration = New-PesterConfiguration
$configuration.Run.Path = $env:PESTER_FILE
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'None'
$run = Invoke-Pester -Configuration $configuration
$tests = @($run.Tests | ForEach-Object { @{ name = $_.ExpandedPath; result = [string]$_.Result; error = $(if ($_.ErrorRecord.Count -gt 0) { [string]$_.ErrorRecord[0] } else { $null }) } })
[Console]::Out.WriteLine((ConvertTo-Json -Compress -Depth 4 -InputObject @{ passed = $run.PassedCount; failed = $run.FailedCount; skipped = $run.SkippedCount; notRun = $run.NotRunCount; tests = $tests }))
`;

function runPester(file: string, env: Record<string, string>): PesterSummary {
    const result = runPwsh(RUN_PESTER, { PESTER_FILE: file, ...env }, 540_000);
    const lines = (result.stdout ?? "").trimEnd().split("\n");
    try {
        return JSON.parse(lines[lines.length - 1]) as PesterSummary;
    } catch {
        throw new Error(
            `Pester printed no summary (exit ${result.status ?? result.signal}).\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`,
        );
    }
}

describe("Pester tests of the Windows script (test/windows/*.Tests.ps1)", function () {
    this.timeout(600_000);
    let workdir: string;
    before(function () {
        workdir = fs.mkdtempSync(path.join(os.tmpdir(), "pester-"));
    });
    after(() => fs.rmSync(workdir, { recursive: true, force: true }));

    const files = fs
        .readdirSync(__dirname)
        .filter((name) => name.endsWith(".Tests.ps1"))
        .sort();
    for (const file of files) {
        it(file, function () {
            skipUnless(this, pesterSkipReason());
            const documentCommand = path.join(workdir, "document-command.ps1");
            fs.writeFileSync(
                documentCommand,
                JSON.parse(windowsDocumentContent()).mainSteps[0].inputs.runCommand.join("\n"),
            );
            const summary = runPester(path.join(__dirname, file), {
                WINDOWS_DOCUMENT_COMMAND: documentCommand,
            });
            for (const test of summary.tests)
                console.log(
                    `      ${test.result === "Passed" ? "✔" : test.result}: ${test.name}${test.error ? `\n        ${test.error}` : ""}`,
                );
            console.log(
                `      Pester: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped, ${summary.notRun} not run`,
            );
            assert.equal(
                summary.failed,
                0,
                summary.tests
                    .filter((test) => test.result === "Failed")
                    .map((test) => `${test.name}: ${test.error}`)
                    .join("\n"),
            );
            assert.ok(summary.passed > 0, "Pester ran no test");
        });
    }
});
