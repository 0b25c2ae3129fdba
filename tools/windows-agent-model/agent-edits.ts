/**
 * What re-enables Administrator password generation on an offline Windows root volume, per
 * launch agent, as data: which agent is installed (detection order and marker files), which files
 * change and how. scripts/windows/enable-password-reset.ps1 embeds exactly this data (rendered by
 * renderAgentDataLiteral() as a JSON here-string it parses with ConvertFrom-Json) and implements
 * planEdits() over it line for line; the tests run planEdits() on real configuration files.
 *
 * Paths are relative to the root of the target's Windows volume (the drive that was C:).
 *
 *   npx ts-node --transpile-only tools/windows-agent-model/agent-edits.ts   # re-embeds the data in the script
 */
import * as fs from "fs";
import { SCRIPT_PATH } from "../../lib/windows-document";
import { checkBootTask, EditRefused, ensureYamlTaskInput, setCapturedValue } from "./text-edits";

export { EditRefused } from "./text-edits";

export type AgentName = "EC2Launch v2" | "EC2Launch v1" | "EC2Config";

/** Read-only: refuses unless the scheduled task's XML runs `command` from an enabled boot trigger. */
export interface RequireBootTask {
    kind: "require-boot-task";
    file: string;
    command: string;
    /** Appended to the reason when the check refuses. */
    hint: string;
    why: string;
}

/** Sets capture group 1 of the single match of `pattern` (a .NET- and JavaScript-compatible regex). */
export interface SetCapturedValue {
    kind: "set-captured-value";
    file: string;
    pattern: string;
    value: string;
    why: string;
}

/** Makes `stage/task/inputs/key` hold exactly `lines` (see ensureYamlTaskInput). */
export interface YamlTaskInput {
    kind: "yaml-task-input";
    file: string;
    stage: string;
    task: string;
    key: string;
    lines: string[];
    why: string;
}

/** Deletes the file if it exists (the script keeps a backup copy first). */
export interface DeleteFile {
    kind: "delete-file";
    file: string;
    why: string;
}

export type AgentEdit = RequireBootTask | SetCapturedValue | YamlTaskInput | DeleteFile;

export interface AgentSpec {
    name: AgentName;
    /** The agent counts as installed when this file exists (its configuration file). */
    marker: string;
    /** The agent's own program files: a marker without them is reported as a warning. */
    programs: string[];
    /** Applied in order; checks come first, so a refusal leaves every file untouched. */
    edits: AgentEdit[];
    /** Reported on every run that handles this agent. */
    warnings: string[];
    /** How the edits lead to a new password at next boot, and what is not established. */
    nextBoot: string;
    sources: string[];
}

export interface AgentData {
    version: 1;
    /** A backup is `<file><backupSuffix><UTC timestamp yyyyMMddTHHmmssZ>` in the same folder. */
    backupSuffix: string;
    /** The Windows volume is the partition holding this file. */
    windowsMarker: string;
    /** In detection order: the first agent whose marker exists is the one edited. */
    agents: AgentSpec[];
}

const V2_CONFIG = "ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml";
const V1_CONFIG = "ProgramData\\Amazon\\EC2-Windows\\Launch\\Config\\LaunchConfig.json";
const V1_TASK = "Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization";
const EC2CONFIG_CONFIG = "Program Files\\Amazon\\Ec2ConfigService\\Settings\\config.xml";

export const AGENT_DATA: AgentData = {
    version: 1,
    backupSuffix: ".ec2-reset-access.bak-",
    windowsMarker: "Windows\\System32\\config\\SYSTEM",
    agents: [
        {
            name: "EC2Launch v2",
            marker: V2_CONFIG,
            programs: ["Program Files\\Amazon\\EC2Launch\\EC2Launch.exe"],
            edits: [
                {
                    kind: "yaml-task-input",
                    file: V2_CONFIG,
                    stage: "preReady",
                    task: "setAdminAccount",
                    key: "password",
                    lines: ["type: random"],
                    why: "setAdminAccount with password type random generates a password and posts it encrypted with the instance's key pair",
                },
                {
                    kind: "delete-file",
                    file: "ProgramData\\Amazon\\EC2Launch\\state\\.run-once",
                    why: "without .run-once, EC2Launch v2 runs the tasks whose frequency is once (setAdminAccount is one) at next boot",
                },
            ],
            warnings: [
                "EC2Launch v2 will run every task whose frequency is once at next boot, not only setAdminAccount (user data or scripts set to run once run again)",
            ],
            nextBoot:
                "AWS documents deleting state\\.run-once as the offline password reset for EC2Launch v2; setAdminAccount (frequency once, stage preReady) then sets a random password.",
            sources: [
                "AWS EC2 User Guide for Windows: Reset the Windows administrator password using EC2Launch v2 (Step 4: Delete the .run-once file)",
                "AWS EC2 User Guide for Windows: EC2Launch v2 settings (directory structure; task configuration: setAdminAccount)",
            ],
        },
        {
            name: "EC2Launch v1",
            marker: V1_CONFIG,
            programs: ["ProgramData\\Amazon\\EC2-Windows\\Launch\\Scripts\\InitializeInstance.ps1"],
            edits: [
                {
                    kind: "require-boot-task",
                    file: V1_TASK,
                    command: "InitializeInstance.ps1",
                    hint: "EC2Launch v1 would not initialize the instance at next boot, so no password would be generated; this tool cannot schedule that offline (see scripts/windows/README.md)",
                    why: "adminPasswordType is read by InitializeInstance.ps1, which runs at boot only from this scheduled task",
                },
                {
                    kind: "set-captured-value",
                    file: V1_CONFIG,
                    pattern: '"[Aa]dminPasswordType"[ \\t\\r\\n]*:[ \\t\\r\\n]*"([A-Za-z]*)"',
                    value: "Random",
                    why: "adminPasswordType Random makes InitializeInstance.ps1 generate a password and post it encrypted with the instance's key pair",
                },
            ],
            warnings: [],
            nextBoot:
                "Online, InitializeInstance.ps1 -Schedule registers the scheduled task 'Amazon Ec2 Launch - Instance Initialization' " +
                "(Register-ScheduledTask -Force: trigger AtStartup, user S-1-5-18 at highest run level, action cmd.exe /C powershell.exe " +
                "-NoProfile -NonInteractive -NoLogo -ExecutionPolicy Unrestricted -File InitializeInstance.ps1) and sets the AmazonSSMAgent " +
                "service to start Disabled until Windows is ready; after its run the script registers the task again disabled. " +
                "The offline equivalent is NOT established: AWS documents only EC2Rescue for Windows Server's closed-source action " +
                "(rescue group ec2launch, 'Reset Administrator Password'), not what it writes, and a task is held both in " +
                "Windows\\System32\\Tasks and in the SOFTWARE hive's TaskCache, which this tool does not write. The script therefore " +
                "only checks that the task is still enabled with its boot trigger (instances set to run EC2Launch on every boot, or " +
                "scheduled and not yet booted) and refuses otherwise, before changing anything.",
            sources: [
                "EC2Launch v1 InitializeInstance.ps1 and Ec2Launch module Register-ScriptScheduler / Register-PowershellScheduler (public copies of the EC2Launch v1 scripts)",
                "AWS EC2 User Guide for Windows: Configure EC2Launch (LaunchConfig.json, adminPasswordType; 'runs one time during the next boot and then disables these tasks')",
                "AWS EC2 User Guide for Windows: Reset the Windows administrator password using EC2Launch (EC2Rescue offline, Reset Administrator Password); EC2Rescue command line (rescue group ec2launch)",
            ],
        },
        {
            name: "EC2Config",
            marker: EC2CONFIG_CONFIG,
            programs: ["Program Files\\Amazon\\Ec2ConfigService\\Ec2Config.exe"],
            edits: [
                {
                    kind: "set-captured-value",
                    file: EC2CONFIG_CONFIG,
                    pattern:
                        "<Plugin>[ \\t\\r\\n]*<Name>Ec2SetPassword</Name>[ \\t\\r\\n]*<State>([A-Za-z]*)</State>",
                    value: "Enabled",
                    why: "the Ec2SetPassword plugin, when Enabled, generates a password at the next service start and disables itself",
                },
            ],
            warnings: [],
            nextBoot:
                "AWS documents changing Ec2SetPassword to Enabled in config.xml offline; EC2Config runs its plugins at every service start. Ec2HandleUserData is not needed for the password and is left as it is.",
            sources: [
                "AWS EC2 User Guide for Windows: Reset the Windows administrator password using EC2Config (Step 4: Modify the configuration file)",
                "AWS EC2 User Guide for Windows: EC2Config service (Config.xml plug-ins)",
            ],
        },
    ],
};

export interface PlannedChange {
    /** Relative to the Windows volume's root. */
    file: string;
    action: "modified" | "unchanged" | "deleted" | "absent" | "checked";
}

export interface EditPlan {
    /** The files after the edits (a deleted file is absent). */
    files: Record<string, string>;
    changes: PlannedChange[];
}

export function agentSpec(agent: AgentName | AgentSpec): AgentSpec {
    if (typeof agent !== "string") return agent;
    const found = AGENT_DATA.agents.find((spec) => spec.name === agent);
    if (!found) throw new Error(`unknown agent ${agent}`);
    return found;
}

/**
 * Plans the agent's edits over `files` (relative path -> decoded text; a missing key is a
 * missing file). Throws EditRefused with the reason when any edit cannot be made: then nothing
 * may be written. Mirrored by Invoke-AgentEdits in enable-password-reset.ps1.
 */
export function planEdits(agent: AgentName | AgentSpec, files: Record<string, string>): EditPlan {
    const result: Record<string, string> = { ...files };
    const changes: PlannedChange[] = [];
    for (const edit of agentSpec(agent).edits) {
        const present = Object.prototype.hasOwnProperty.call(result, edit.file);
        if (edit.kind === "delete-file") {
            if (present) delete result[edit.file];
            changes.push({ file: edit.file, action: present ? "deleted" : "absent" });
            continue;
        }
        if (!present) {
            const hint = edit.kind === "require-boot-task" ? `; ${edit.hint}` : "";
            throw new EditRefused(`${edit.file}: not found${hint}`);
        }
        try {
            if (edit.kind === "require-boot-task") {
                checkBootTask(result[edit.file], edit.command);
                changes.push({ file: edit.file, action: "checked" });
                continue;
            }
            const edited =
                edit.kind === "set-captured-value"
                    ? setCapturedValue(result[edit.file], edit.pattern, edit.value)
                    : ensureYamlTaskInput(
                          result[edit.file],
                          edit.stage,
                          edit.task,
                          edit.key,
                          edit.lines,
                      );
            result[edit.file] = edited.text;
            changes.push({ file: edit.file, action: edited.changed ? "modified" : "unchanged" });
        } catch (error) {
            if (!(error instanceof EditRefused)) throw error;
            const hint = edit.kind === "require-boot-task" ? `; ${edit.hint}` : "";
            throw new EditRefused(`${edit.file}: ${error.message}${hint}`);
        }
    }
    return { files: result, changes };
}

/** The files after the agent's edits (see planEdits). */
export function applyEdits(
    agent: AgentName | AgentSpec,
    files: Record<string, string>,
): Record<string, string> {
    return planEdits(agent, files).files;
}

// ---------------------------------------------------------------------------------------------
// The data inside the script

export const AGENT_DATA_BEGIN =
    "# BEGIN AGENT DATA: generated by renderAgentDataLiteral() in tools/windows-agent-model/agent-edits.ts; do not edit by hand";
export const AGENT_DATA_END = "# END AGENT DATA";

export function agentDataJson(data: AgentData = AGENT_DATA): string {
    return JSON.stringify(data, null, 2);
}

/**
 * The PowerShell lines that define $AgentDataJson: a single-quoted here-string (PowerShell
 * expands nothing in it) holding agentDataJson(), between the BEGIN and END marker lines.
 */
export function renderAgentDataLiteral(data: AgentData = AGENT_DATA): string {
    const json = agentDataJson(data);
    if (/[^\x20-\x7e\n]/.test(json))
        throw new Error(
            "the agent data must be printable ASCII (Windows PowerShell reads a BOM-less script as ANSI)",
        );
    if (json.split("\n").some((line) => line.startsWith("'@")))
        throw new Error("a line of the agent data would end the here-string");
    return [AGENT_DATA_BEGIN, "$AgentDataJson = @'", json, "'@", AGENT_DATA_END].join("\n");
}

function dataRegion(script: string): { start: number; end: number } {
    const start = script.indexOf(AGENT_DATA_BEGIN);
    const endMarker = script.indexOf(AGENT_DATA_END, start);
    if (start < 0 || endMarker < 0) throw new Error("the script has no agent data markers");
    return { start, end: endMarker + AGENT_DATA_END.length };
}

/** The script with its data region replaced by renderAgentDataLiteral(). */
export function embedAgentData(script: string, data: AgentData = AGENT_DATA): string {
    const { start, end } = dataRegion(script);
    return script.slice(0, start) + renderAgentDataLiteral(data) + script.slice(end);
}

/** The JSON text between `@'` and `'@` in the script's data region (what ConvertFrom-Json reads). */
export function extractAgentDataJson(script: string): string {
    const { start, end } = dataRegion(script);
    const region = script.slice(start, end);
    const open = region.indexOf("= @'\n");
    const close = region.lastIndexOf("\n'@\n");
    if (open < 0 || close < 0) throw new Error("the data region holds no here-string");
    return region.slice(open + "= @'\n".length, close);
}

if (require.main === module) {
    const script = fs.readFileSync(SCRIPT_PATH, "utf8");
    fs.writeFileSync(SCRIPT_PATH, embedAgentData(script));
    console.log(`embedded the agent data in ${SCRIPT_PATH}`);
}
