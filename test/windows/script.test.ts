/**
 * scripts/windows/enable-password-reset.ps1 read as text (no PowerShell runs here): it embeds
 * exactly the agent data of tools/windows-agent-model/agent-edits.ts, has the required structure (strict mode,
 * Stop on errors, the disk taken offline in a finally block, no command that changes a disk's
 * signature or layout), and mirrors the TypeScript edit algorithms function for function.
 * Where pwsh is installed, PowerShell's own parser checks the syntax too (test/windows/pwsh.ts).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    AGENT_DATA,
    agentDataJson,
    embedAgentData,
    extractAgentDataJson,
} from "../../tools/windows-agent-model/agent-edits";
import { PARAMETER_PATTERNS, SCRIPT_PATH } from "../../lib/windows-document";
import { pwshPath } from "../../tools/deps/capabilities";
import { requireCapability } from "../support/requirements";

const MODEL = path.join(__dirname, "..", "..", "tools", "windows-agent-model");
const script = fs.readFileSync(SCRIPT_PATH, "utf8");
const textEdits = fs.readFileSync(path.join(MODEL, "text-edits.ts"), "utf8");
const agentEdits = fs.readFileSync(path.join(MODEL, "agent-edits.ts"), "utf8");

/** The text of `function <name>` up to the next top-level function or section rule. */
function psFunction(name: string): string {
    const start = script.indexOf(`\nfunction ${name}(`);
    assert.ok(start >= 0, `function ${name} is missing`);
    const rest = script.slice(start + 1);
    const end = rest.slice(1).search(/\n(function |# ---|\$script:Usage = |if \(\$MyInvocation)/);
    return end < 0 ? rest : rest.slice(0, end + 1);
}

/** A PowerShell single-quoted literal of `text`. */
const psQuoted = (text: string) => `'${text.replace(/'/g, "''")}'`;

describe("enable-password-reset.ps1: the embedded agent data", () => {
    it("is exactly the data of tools/windows-agent-model/agent-edits.ts, as ConvertFrom-Json will read it", () => {
        assert.equal(extractAgentDataJson(script), agentDataJson());
        assert.deepEqual(JSON.parse(extractAgentDataJson(script)), AGENT_DATA);
    });

    it("is the rendered literal, byte for byte (npx ts-node --transpile-only tools/windows-agent-model/agent-edits.ts re-embeds it)", () => {
        assert.equal(embedAgentData(script), script);
    });

    it("cannot end its here-string early and is plain ASCII", () => {
        const json = extractAgentDataJson(script);
        assert.ok(!json.split("\n").some((line) => line.startsWith("'@")));
        assert.doesNotMatch(
            script,
            /[^\x20-\x7e\n]/,
            "a character outside printable ASCII (or a tab or CR)",
        );
    });
});

describe("enable-password-reset.ps1: structure", () => {
    it("stops on every error under strict mode, before any other statement", () => {
        const firstFunction = script.indexOf("\nfunction ");
        const preference = script.indexOf("\n$ErrorActionPreference = 'Stop'\n");
        const strict = script.indexOf("\nSet-StrictMode -Version Latest\n");
        assert.ok(
            preference > 0 && strict > 0 && preference < firstFunction && strict < firstFunction,
        );
        assert.ok(preference < script.indexOf("\n$AgentDataJson = "));
    });

    it("takes its values as arguments and checks them against the document's patterns", () => {
        assert.match(
            script,
            /param\(\n {4}\[string\]\$VolumeId = '',\n {4}\[string\]\$DeviceName = 'xvdf',\n {4}\[string\]\$Root = '',\n {4}\[int\]\$TimeoutSeconds = 540,\n {4}\[string\]\$AgentDataPath = ''\n\)/,
        );
        assert.ok(
            script.includes(
                `[regex]::IsMatch($VolumeId, ${psQuoted(PARAMETER_PATTERNS.volumeId)})`,
            ),
        );
        assert.ok(
            script.includes(
                `[regex]::IsMatch($DeviceName, ${psQuoted(PARAMETER_PATTERNS.deviceName)})`,
            ),
        );
        assert.doesNotMatch(
            script,
            /Invoke-Expression|iex |\[scriptblock\]::Create|Start-Process/i,
        );
    });

    it("never changes a disk's signature, id or layout", () => {
        assert.doesNotMatch(
            script,
            /Initialize-Disk|Clear-Disk|Format-Volume|New-Partition|Remove-Partition |Resize-Partition|diskpart|uniqueid/i,
        );
        const setDisk = script
            .split("\n")
            .filter((line) => /Set-Disk/i.test(line) && !line.trimStart().startsWith("#"));
        assert.ok(setDisk.length >= 4);
        for (const line of setDisk) {
            assert.match(
                line,
                /Set-Disk -Number \$State\.Number -(IsOffline|IsReadOnly) \$(true|false)( \| Out-Null)?/,
                line,
            );
            assert.doesNotMatch(line, /-Signature|-Guid|-PartitionStyle/i, line);
        }
    });

    it("brings the disk online only in Open-TargetDisk and offline only in Close-TargetDisk, which never throws", () => {
        const online = script.split("\n").filter((line) => line.includes("-IsOffline $false"));
        assert.equal(online.length, 1);
        assert.ok(psFunction("Open-TargetDisk").includes(online[0]));
        const close = psFunction("Close-TargetDisk");
        assert.ok(close.includes("Set-Disk -Number $State.Number -IsOffline $true"));
        assert.doesNotMatch(close, /\bthrow\b/);
        for (const line of close
            .split("\n")
            .filter((l) => /Set-Disk|Remove-PartitionAccessPath|Write-VolumeCache/.test(l))) {
            const before = close.slice(0, close.indexOf(line));
            assert.ok(
                before.lastIndexOf("try {") > before.lastIndexOf("} catch"),
                `not inside try: ${line.trim()}`,
            );
        }
    });

    it("runs the work in a try whose finally takes the disk offline, and only once the disk is known to be safe", () => {
        assert.match(
            script,
            /try \{\n {16}Invoke-Reset \$data \$state\n {12}\} finally \{\n {16}if \(\$state\.Number -ge 0\) \{ \$script:CloseProblem = Close-TargetDisk \$state \}\n {12}\}/,
        );
        const reset = psFunction("Invoke-Reset");
        const order = [
            "Wait-TargetDisk",
            "Assert-NoSignatureCollision $disk",
            "$State.Number = $disk.Number",
            "Open-TargetDisk $State",
            "Find-WindowsVolume",
            "Invoke-VolumeReset",
        ];
        const positions = order.map((step) => reset.indexOf(step));
        const volume = psFunction("Invoke-VolumeReset");
        assert.ok(
            volume.indexOf("Get-VolumeEdits") < volume.indexOf("Save-Changes"),
            "every path is checked and every edit planned before the first write",
        );
        assert.ok(psFunction("Get-VolumeEdits").includes("Invoke-AgentEdits"));
        assert.ok(
            positions.every((at) => at >= 0),
            `missing: ${order.filter((_, k) => positions[k] < 0)}`,
        );
        assert.deepEqual(
            [...positions].sort((a, b) => a - b),
            positions,
        );
        assert.equal(
            script.split("Open-TargetDisk $State").length,
            2,
            "Open-TargetDisk is called once, from Invoke-Reset",
        );
        assert.match(psFunction("Assert-NoSignatureCollision"), /IsBoot -or \$Disk\.IsSystem/);
    });

    it("refuses a signature collision with the reason and the remedy", () => {
        const check = psFunction("Assert-NoSignatureCollision");
        assert.match(check, /\$_\.Signature -eq \$Disk\.Signature/);
        assert.match(check, /\[string\]\$_\.Guid -eq \$id/);
        assert.match(check, /Use a helper of a different Windows Server version than the target/);
    });

    it("backs up each file next to it with the data's suffix and a UTC timestamp, and undoes on failure", () => {
        const save = psFunction("Save-Changes");
        assert.match(save, /\[IO\.File\]::Replace\(\$temporary, \$full, \$full \+ \$Suffix\)/);
        assert.match(save, /\[IO\.File\]::Move\(\$full, \$full \+ \$Suffix\)/);
        assert.match(save, /for \(\$k = \$undo\.Count - 1; \$k -ge 0; \$k--\)/);
        const volume = psFunction("Invoke-VolumeReset");
        assert.match(
            volume,
            /ToString\("yyyyMMdd'T'HHmmss'Z'", \[Globalization\.CultureInfo\]::InvariantCulture\)/,
        );
        assert.match(volume, /\$suffix = \$Data\.backupSuffix \+ \$stamp/);
        assert.match(volume, /Save-Changes \$edits\.Paths \$edits\.Plan \$edits\.Reads \$suffix/);
    });

    it("prints one JSON line with the contract's keys and exits 0 only on success", () => {
        assert.match(
            script,
            /\$script:Result = \[ordered\]@\{\n {4}status = 'error'; volumeId = \$null; windowsVolume = \$null; agent = \$null\n {4}changes = \(New-Object System\.Collections\.ArrayList\); warnings = \(New-Object System\.Collections\.ArrayList\); error = \$null\n\}/,
        );
        const main = psFunction("Invoke-Main");
        assert.ok(
            main.includes(
                "    [Console]::Out.WriteLine((ConvertTo-AsciiJson $script:Result))\n    return $exitCode\n}\n",
            ),
        );
        assert.ok(
            script.endsWith(
                "\nif ($MyInvocation.InvocationName -cne '.') { exit (Invoke-Main $VolumeId $DeviceName $Root $AgentDataPath $TimeoutSeconds) }\n",
            ),
        );
        assert.equal(script.split("$exitCode = 0").length, 2);
        assert.match(main, /\$script:Result\.status = 'ok'\n {8}\$exitCode = 0\n/);
        assert.match(main, /\$exitCode = 1\n {4}try \{/);
        assert.doesNotMatch(
            script,
            /Write-Output|Write-Host/,
            "function output must not leak into return values",
        );
    });
});

describe("enable-password-reset.ps1: the same algorithm as tools/windows-agent-model/text-edits.ts", () => {
    const functions: [string, string][] = [
        ["setCapturedValue", "Set-CapturedValue"],
        ["checkBootTask", "Test-BootTask"],
        ["elementText", "Get-ElementText"],
        ["body", "Get-Body"],
        ["indentOf", "Get-Indent"],
        ["isContent", "Test-Content"],
        ["trimSpaces", "Get-TrimmedSpaces"],
        ["blockEnd", "Get-BlockEnd"],
        ["contentEnd", "Get-ContentEnd"],
        ["keyLines", "Get-KeyLines"],
        ["requireIndent", "Assert-Indent"],
        ["spliceLines", "Set-Lines"],
        ["scalarPattern", "Get-ScalarPattern"],
        ["ensureYamlTaskInput", "Set-YamlTaskInput"],
        ["locateTasks", "Find-TaskItems"],
        ["ensureItemInput", "Set-ItemInput"],
        ["keyLinesAnyIndent", "Get-LinesAnyIndent"],
        ["holdsExactly", "Test-HoldsExactly"],
    ];

    it("has a PowerShell counterpart for every function", () => {
        const declared = [...textEdits.matchAll(/^(?:export )?function (\w+)/gm)]
            .map((m) => m[1])
            .sort();
        assert.deepEqual(declared, functions.map(([ts]) => ts).sort());
        for (const [, ps] of functions) psFunction(ps);
        assert.match(agentEdits, /export function planEdits\(/);
        psFunction("Invoke-AgentEdits");
    });

    it("uses the same regular expressions", () => {
        const shared = [
            "^ *(#[^\\n]*)?$",
            "^ *tasks: *(#[^\\n]*)?$",
            "^ *- +task: *([A-Za-z0-9]+|\"[A-Za-z0-9]+\"|'[A-Za-z0-9]+') *(#[^\\n]*)?$",
            "^ *inputs *:",
            "^ *inputs: *(#[^\\n]*)?$",
            "^ *- ",
            "^( *- +)",
            "^ *\\t",
            "^[ \\t\\r\\n]*[{[]",
            "^[\"']|[\"']$",
            "^ +| +$",
            "^ *",
        ];
        for (const source of shared) {
            assert.ok(textEdits.includes(`/${source}/`), `TypeScript lacks /${source}/`);
            assert.ok(script.includes(psQuoted(source)), `PowerShell lacks ${psQuoted(source)}`);
        }
        assert.ok(textEdits.includes("`^ *- +stage: *${scalarPattern(stage)} *(#[^\\\\n]*)?$`"));
        assert.ok(
            script.includes("'^ *- +stage: *{0} *(#[^\\n]*)?$' -f (Get-ScalarPattern $Stage)"),
        );
        assert.ok(textEdits.includes("`^ *${scalarPattern(key)} *:`"));
        assert.ok(script.includes("'^ *{0} *:' -f (Get-ScalarPattern $Key)"));
    });

    it("refuses with the same reasons", () => {
        const reasons = [
            "expected exactly one match of ",
            "the task does not run ",
            "the task has no boot trigger",
            "the task's boot trigger is disabled",
            "the task is disabled (InitializeInstance.ps1 disables it once it has run)",
            "the file is in JSON form (EC2Launch v2 accepts it); only the block YAML layout is edited",
            ": a tab in the indentation",
            ": unexpected indentation in ",
            " item, found ",
            " in stage ",
            " has no tasks",
            ': expected "- task: <name>" in stage ',
            " times in stage ",
            '"inputs:" keys',
            '"inputs:" with an inline value is not supported',
            '"inputs:" as a sequence is not supported for task ',
            ": not found",
        ];
        for (const reason of reasons) {
            assert.ok(
                textEdits.includes(reason) || agentEdits.includes(reason),
                `TypeScript lacks ${reason}`,
            );
            assert.ok(script.includes(reason), `PowerShell lacks ${reason}`);
        }
    });
});

describe("enable-password-reset.ps1: PowerShell's parser", () => {
    it("parses without errors (needs pwsh)", function () {
        requireCapability(this, "pwsh");
        // -Command joins what follows it into the command text (no $args): the path comes by environment.
        const parse = spawnSync(
            pwshPath()!,
            [
                "-NoProfile",
                "-Command",
                "$e = $null; $t = $null; [void][System.Management.Automation.Language.Parser]::ParseFile($env:SCRIPT_TO_PARSE, [ref]$t, [ref]$e); $e | ForEach-Object { $_.ToString() }; exit $e.Count",
            ],
            { encoding: "utf8", env: { ...process.env, SCRIPT_TO_PARSE: SCRIPT_PATH } },
        );
        assert.equal(parse.status, 0, parse.stdout + parse.stderr);
    });
});
