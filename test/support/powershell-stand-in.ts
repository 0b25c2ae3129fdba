/**
 * Where PowerShell 7 (or ntfs-3g, FUSE, loop devices) is absent, the emulator cannot run the
 * Windows document's aws:runPowerShellScript step. There, in the whole-run Windows tests, a
 * command fault stands in for it: the invocation ends with the output the script prints (status
 * lines, then one JSON line with its result's keys in its order), computed from the same agent
 * data the script carries, over the fixtures of the agents' files (test/windows/fixtures). Where
 * pwsh is installed the real script runs instead (test/support/windows-script.ts chooses).
 */
import { emulator } from "../hooks";
import { RESET_DOCUMENT_NAMES } from "../../lib/command-document";
import { PROBE_DOCUMENT_NAMES, PROBE_MARKER } from "../../lib/probe-document";
import { AgentName, planEdits } from "../../tools/windows-agent-model/agent-edits";
import { fixture } from "../windows/helpers";

/** The agents' files on a target as the fixtures give them (relative to the Windows volume). */
const AGENT_FILES: Record<AgentName, Record<string, string>> = {
    "EC2Launch v2": {
        "ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml": fixture(
            "ec2launch-v2/agent-config.yml",
        ),
        "ProgramData\\Amazon\\EC2Launch\\state\\.run-once": "",
    },
    "EC2Launch v1": {
        "ProgramData\\Amazon\\EC2-Windows\\Launch\\Config\\LaunchConfig.json": fixture(
            "ec2launch-v1/LaunchConfig.json",
        ),
        "Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization": fixture(
            "ec2launch-v1/instance-initialization.scheduled.xml",
        ),
    },
    EC2Config: {
        "Program Files\\Amazon\\Ec2ConfigService\\Settings\\config.xml":
            fixture("ec2config/config.xml"),
    },
};

const SUFFIX = ".ec2-reset-access.bak-20261129T060000Z";

/** The script's output for a successful run on `volumeId` with `agent`. */
export function successOutput(volumeId: string, agent: AgentName): string {
    const changes = planEdits(agent, AGENT_FILES[agent]).changes.map((c) =>
        c.action === "modified" || c.action === "deleted"
            ? { file: c.file, action: c.action, backup: c.file + SUFFIX }
            : { file: c.file, action: c.action },
    );
    const result = {
        status: "ok",
        volumeId,
        windowsVolume: "D: (disk 1, partition 2)",
        agent,
        changes,
        warnings: [],
        error: null,
    };
    return (
        [
            `==> Disk 1 is ${volumeId}`,
            `==> Bringing disk 1 online (its signature is kept)`,
            `==> Launch agent: ${agent}`,
            ...changes.map((c) => `    ${c.action.padEnd(9)} ${c.file}`),
            `RESULT: ok: ${agent} will generate a new Administrator password at next boot`,
            JSON.stringify(result),
        ].join("\n") + "\n"
    );
}

/** The script's output when it refuses (it changed nothing) or fails. */
export function errorOutput(volumeId: string, message: string): string {
    const result = {
        status: "error",
        volumeId,
        windowsVolume: null,
        agent: null,
        changes: [],
        warnings: [],
        error: message,
    };
    return `ERROR: ${message}\nRESULT: error: ${message}\n${JSON.stringify(result)}\n`;
}

/**
 * The next Run Command invocation of the reset document ends with this output and exit code
 * instead of running; before it, the helper-ready probe (the probe document's
 * aws:runPowerShellScript step, which the emulator cannot run either) is answered as PowerShell
 * would answer it.
 */
export async function standInForScript(stdout: string, exitCode = 0): Promise<void> {
    await standInForProbe();
    await emulator().control("POST", "/command-faults", {
        documentName: RESET_DOCUMENT_NAMES,
        exitCode,
        stdout,
        stderr: "",
    });
}

/** The next helper-ready probe of a Windows helper answers `Write-Output '<marker>'`'s output. */
export async function standInForProbe(): Promise<void> {
    await emulator().control("POST", "/command-faults", {
        documentName: PROBE_DOCUMENT_NAMES,
        exitCode: 0,
        stdout: `${PROBE_MARKER}\n`,
        stderr: "",
    });
}
