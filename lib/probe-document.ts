/**
 * The helper-ready probe's Command document: it prints a marker and changes nothing. It is this
 * tool's own document, so the operator policy grants SendCommand of this tool's documents only
 * (`ThisToolsDocument`), never of AWS's AWS-RunShellScript, which runs whatever it is given.
 * One step per platform, each through the same plugin as the reset document (aws:runShellScript
 * on Linux, aws:runPowerShellScript on Windows); a platformType precondition skips the other.
 * No parameters: nothing of the caller reaches the script.
 */
import { documentJson } from "./command-document";
import { Platform } from "./target-context";

/** What the probe prints; the helper is ready only when its output holds it. */
export const PROBE_MARKER = "ec2-reset-access: helper ready";

/** The step of each platform: GetCommandInvocation needs its name (the document has two steps). */
export const PROBE_STEP: Record<Platform, string> = {
    linux: "helperReadyLinux",
    windows: "helperReadyWindows",
};

/**
 * The names the component's probe documents get (`<name>-probe-document-<random>`, Pulumi's
 * autoname of `${name}-probe-document`), as a glob: the operator policy's ARN pattern, and how
 * the emulator's command faults tell the probe from the reset document.
 */
export const PROBE_DOCUMENT_NAMES = "*-probe-document-*";

/** Whether a document name is one of the component's probe documents (PROBE_DOCUMENT_NAMES). */
export function isProbeDocument(name: string): boolean {
    return /-probe-document-[^/]*$/.test(name);
}

/** Seconds the probe's script may run on the helper. */
const PROBE_EXECUTION_SECONDS = 60;

/** The document's content (JSON). */
export function probeDocumentContent(): string {
    const step = (platform: Platform, action: string, line: string) => ({
        action,
        name: PROBE_STEP[platform],
        precondition: {
            StringEquals: ["platformType", platform === "windows" ? "Windows" : "Linux"],
        },
        inputs: { timeoutSeconds: String(PROBE_EXECUTION_SECONDS), runCommand: [line] },
    });
    return documentJson(
        {
            schemaVersion: "2.2",
            description:
                "ec2-reset-access: proves the helper answers Run Command before the target is touched (prints a marker, changes nothing).",
            mainSteps: [
                step("linux", "aws:runShellScript", `echo '${PROBE_MARKER}'`),
                step("windows", "aws:runPowerShellScript", `Write-Output '${PROBE_MARKER}'`),
            ],
        },
        "probe",
    );
}
