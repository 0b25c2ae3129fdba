/** The SSM document that carries the Windows script: fits SSM's limit, guards every parameter. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import {
    EXECUTION_TIMEOUT_SECONDS,
    HERE_STRING_END,
    MAX_DOCUMENT_BYTES,
    PARAMETER_PATTERNS,
    SCRIPT_PATH,
    SCRIPT_TIMEOUT_SECONDS,
    windowsDocumentContent,
} from "../../lib/windows-document";

describe("Windows document", () => {
    const content = windowsDocumentContent();
    const document = JSON.parse(content);
    const step = document.mainSteps[0];
    const runCommand: string[] = step.inputs.runCommand;

    it("fits in SSM's 64 KB document limit", () => {
        assert.ok(
            Buffer.byteLength(content) < MAX_DOCUMENT_BYTES,
            `${Buffer.byteLength(content)} bytes`,
        );
    });

    it("is a schema 2.2 PowerShell step that runs on Windows only", () => {
        assert.equal(document.schemaVersion, "2.2");
        assert.equal(document.mainSteps.length, 1);
        assert.equal(step.action, "aws:runPowerShellScript");
        assert.deepEqual(step.precondition, { StringEquals: ["platformType", "Windows"] });
        assert.equal(step.inputs.timeoutSeconds, "600");
    });

    it("carries exactly scripts/windows/enable-password-reset.ps1, gzipped, with nothing SSM would substitute", () => {
        const start = runCommand.indexOf("$packed = @'") + 1;
        const end = runCommand.indexOf(HERE_STRING_END);
        const script = zlib
            .gunzipSync(Buffer.from(runCommand.slice(start, end).join(""), "base64"))
            .toString("utf8");
        assert.equal(script, fs.readFileSync(SCRIPT_PATH, "utf8"));
        for (const line of runCommand.slice(start, end))
            assert.match(line, /^[A-Za-z0-9+/=]{1,76}$/);
        const placeholders = runCommand.join("\n").match(/\{\{[^}]*\}\}/g);
        assert.deepEqual([...new Set(placeholders)].sort(), ["{{ deviceName }}", "{{ volumeId }}"]);
    });

    it("decodes with GZipStream and runs the script in a child Windows PowerShell whose exit code it returns", () => {
        const text = runCommand.join("\n");
        assert.match(
            text,
            /New-Object System\.IO\.Compression\.GZipStream\(\$compressed, \[System\.IO\.Compression\.CompressionMode\]::Decompress\)/,
        );
        assert.match(
            text,
            /-File \$scriptPath -VolumeId '\{\{ volumeId \}\}' -DeviceName '\{\{ deviceName \}\}' -TimeoutSeconds 540\n {2}\$code = \$LASTEXITCODE/,
        );
        assert.match(
            text,
            /\} finally \{\n {2}Remove-Item -LiteralPath \$workdir -Recurse -Force -ErrorAction SilentlyContinue\n\}\nexit \$code$/,
        );
    });

    it("gives the script a deadline a minute before the document's timeout, so that the script, not SSM's kill, ends it", () => {
        assert.equal(SCRIPT_TIMEOUT_SECONDS, 540);
        assert.equal(EXECUTION_TIMEOUT_SECONDS - SCRIPT_TIMEOUT_SECONDS, 60);
        assert.match(
            fs.readFileSync(SCRIPT_PATH, "utf8"),
            /\n {4}\[int\]\$TimeoutSeconds = 540,\n/,
            "the script's default is the same deadline",
        );
    });

    it("is the same document for the same script (no spurious diff on the next up)", () => {
        assert.equal(windowsDocumentContent(), content);
    });

    it("declares an allowedPattern for every parameter, and no other parameter", () => {
        assert.deepEqual(
            Object.keys(document.parameters).sort(),
            Object.keys(PARAMETER_PATTERNS).sort(),
        );
        for (const [name, pattern] of Object.entries(PARAMETER_PATTERNS)) {
            assert.equal(document.parameters[name].allowedPattern, pattern);
            assert.equal(document.parameters[name].type, "String");
        }
        assert.equal(document.parameters.deviceName.default, "xvdf");
        assert.equal(document.parameters.volumeId.default, undefined);
    });

    const hostile = [
        "x'; Restart-Computer; '",
        "vol-0123456789abcdef0'; Restart-Computer #",
        "$(Restart-Computer)",
        "`r`n",
        "a\nb",
        "${env:x}",
        "vol-0123456789ABCDEF0",
        "xvdf;",
        "xvde",
    ];
    for (const [name, pattern] of Object.entries(PARAMETER_PATTERNS)) {
        it(`refuses PowerShell metacharacters in ${name}`, () => {
            for (const value of hostile)
                assert.doesNotMatch(
                    value,
                    new RegExp(pattern),
                    `${name} admitted ${JSON.stringify(value)}`,
                );
        });
    }

    it("admits the values a reset passes", () => {
        assert.match("vol-0123456789abcdef0", new RegExp(PARAMETER_PATTERNS.volumeId));
        assert.match("vol-12345678", new RegExp(PARAMETER_PATTERNS.volumeId));
        assert.match("xvdf", new RegExp(PARAMETER_PATTERNS.deviceName));
        assert.match("xvdp", new RegExp(PARAMETER_PATTERNS.deviceName));
    });
});
