/**
 * The SSM Command document that carries scripts/windows/enable-password-reset.ps1 to a Windows
 * helper. As with the Linux document (lib/reset-document.ts), every value arrives as a document
 * parameter guarded by an allowedPattern (SSM substitutes values into the script's text, so the
 * patterns admit no quote, no `$`, no backtick, no newline), and the script travels gzipped and
 * base64-encoded: base64 has no "{{" for SSM to substitute, and gzip's header carries no time
 * here, so the same script gives the same document.
 *
 * On the helper the document decodes the script with [System.IO.Compression.GZipStream], writes
 * it to a private temporary folder, runs it in a child Windows PowerShell (its exit code becomes
 * the command's), and removes the folder.
 */
import * as fs from "fs";
import * as zlib from "zlib";
import { SCRIPT_PATH } from "./windows-agent-edits";

export { SCRIPT_PATH } from "./windows-agent-edits";
export const EXECUTION_TIMEOUT_SECONDS = 600;
/** SSM's limit on a document's content (MaxDocumentSizeExceeded). */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

export const PARAMETER_PATTERNS = {
    volumeId: "^vol-[0-9a-f]{8,17}$",
    /** The attachment's device name: the script finds the disk by it on Xen helpers only. */
    deviceName: "^xvd[f-z]$",
};

export const HERE_STRING_END = "'@";

/** The document's content (JSON). */
export function windowsDocumentContent(script: string = fs.readFileSync(SCRIPT_PATH, "utf8")): string {
    const packed = zlib.gzipSync(Buffer.from(script, "utf8"), { level: 9 }).toString("base64").match(/.{1,76}/g) ?? [];
    const runCommand = [
        "$ErrorActionPreference = 'Stop'",
        "$packed = @'",
        ...packed,
        HERE_STRING_END,
        "$compressed = New-Object System.IO.MemoryStream(,[Convert]::FromBase64String(($packed -replace '\\s', '')))",
        "$gzip = New-Object System.IO.Compression.GZipStream($compressed, [System.IO.Compression.CompressionMode]::Decompress)",
        "$plain = New-Object System.IO.MemoryStream",
        "$gzip.CopyTo($plain)",
        "$gzip.Dispose()",
        "$workdir = Join-Path $env:TEMP ('ec2-reset-access-' + [guid]::NewGuid().ToString('N'))",
        "New-Item -ItemType Directory -Path $workdir | Out-Null",
        "$scriptPath = Join-Path $workdir 'enable-password-reset.ps1'",
        "[System.IO.File]::WriteAllBytes($scriptPath, $plain.ToArray())",
        "$code = 1",
        "try {",
        "  & \"$env:SystemRoot\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File $scriptPath -VolumeId '{{ volumeId }}' -DeviceName '{{ deviceName }}'",
        "  $code = $LASTEXITCODE",
        "} finally {",
        "  Remove-Item -LiteralPath $workdir -Recurse -Force -ErrorAction SilentlyContinue",
        "}",
        "exit $code",
    ];
    const parameter = (description: string, pattern: string, defaultValue?: string) => ({
        type: "String",
        description,
        allowedPattern: pattern,
        ...(defaultValue === undefined ? {} : { default: defaultValue }),
    });
    const content = JSON.stringify({
        schemaVersion: "2.2",
        description: "ec2-reset-access: re-enable Administrator password generation on an offline Windows root volume attached to this instance.",
        parameters: {
            volumeId: parameter("The target's root volume, attached to this helper.", PARAMETER_PATTERNS.volumeId),
            deviceName: parameter("The device name it was attached at (used on Xen helpers).", PARAMETER_PATTERNS.deviceName, "xvdf"),
        },
        mainSteps: [
            {
                action: "aws:runPowerShellScript",
                name: "enablePasswordReset",
                precondition: { StringEquals: ["platformType", "Windows"] },
                inputs: { timeoutSeconds: String(EXECUTION_TIMEOUT_SECONDS), runCommand },
            },
        ],
    });
    if (Buffer.byteLength(content) > MAX_DOCUMENT_BYTES) {
        throw new Error(`the Windows document is ${Buffer.byteLength(content)} bytes; SSM accepts at most ${MAX_DOCUMENT_BYTES}`);
    }
    return content;
}
