/**
 * The SSM Command document that carries scripts/windows/enable-password-reset.ps1 to a Windows
 * helper. As with the Linux document (lib/linux-document.ts), every value arrives as a document
 * parameter guarded by an allowedPattern (SSM substitutes values into the script's text, so the
 * patterns admit no quote, no `$`, no backtick, no newline), and the script travels packed
 * (lib/command-document.ts).
 *
 * On the helper the document decodes the script with [System.IO.Compression.GZipStream], writes
 * it to a private temporary folder, runs it in a child Windows PowerShell (its exit code becomes
 * the command's), and removes the folder.
 */
import * as fs from "fs";
import { documentJson, documentParameter as parameter, packScript } from "./command-document";
import { SCRIPT_PATH } from "./windows-agent-edits";

export { MAX_DOCUMENT_BYTES } from "./command-document";
export { SCRIPT_PATH } from "./windows-agent-edits";
export const EXECUTION_TIMEOUT_SECONDS = 600;

export const PARAMETER_PATTERNS = {
    volumeId: "^vol-[0-9a-f]{8,17}$",
    /** The attachment's device name: the script finds the disk by it on Xen helpers only. */
    deviceName: "^xvd[f-z]$",
};

export const HERE_STRING_END = "'@";

/** The document's content (JSON). */
export function windowsDocumentContent(script: string = fs.readFileSync(SCRIPT_PATH, "utf8")): string {
    const runCommand = [
        "$ErrorActionPreference = 'Stop'",
        "$packed = @'",
        ...packScript(script),
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
    return documentJson({
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
    }, "Windows");
}
