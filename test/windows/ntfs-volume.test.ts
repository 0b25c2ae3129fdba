/**
 * The real script, under pwsh -Root, on real NTFS volumes (mkntfs + ntfs-3g in a private mount
 * namespace: test/windows/ntfs-volume.ts), one per launch agent: every edit, the backup beside
 * each changed file, CRLF and every other byte kept, a second run that changes nothing, the
 * refusals, and links or junctions on the paths the script reads or writes refused before any
 * change with nothing outside the volume touched. The expected files come from the TypeScript
 * model (tools/windows-agent-model), so these runs also check that the two implementations agree.
 */
import * as assert from "node:assert/strict";
import { planEdits } from "../../tools/windows-agent-model/agent-edits";
import { assertCrlfOnly, crlf, fixture, replaceOnce } from "./helpers";
import { NtfsResult, runOnNtfs, VolumeTree } from "./ntfs-volume";
import { ntfsSkipReason, skipUnless } from "./pwsh";

const SYSTEM_HIVE = "Windows\\System32\\config\\SYSTEM";
const V2_CONFIG = "ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml";
const V2_RUN_ONCE = "ProgramData\\Amazon\\EC2Launch\\state\\.run-once";
const V2_PROGRAM = "Program Files\\Amazon\\EC2Launch\\EC2Launch.exe";
const V1_CONFIG = "ProgramData\\Amazon\\EC2-Windows\\Launch\\Config\\LaunchConfig.json";
const V1_TASK = "Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization";
const V1_PROGRAM = "ProgramData\\Amazon\\EC2-Windows\\Launch\\Scripts\\InitializeInstance.ps1";
const EC2CONFIG = "Program Files\\Amazon\\Ec2ConfigService\\Settings\\config.xml";
const EC2CONFIG_PROGRAM = "Program Files\\Amazon\\Ec2ConfigService\\Ec2Config.exe";
const BACKUP = /^\.ec2-reset-access\.bak-\d{8}T\d{6}Z$/;

const v2Config = fixture("ec2launch-v2/agent-config.yml");
const v2Static = replaceOnce(
    v2Config,
    "        type: random\n",
    "        type: static\n        data: Sup3r-Secret!\n",
);
const v1Config = fixture("ec2launch-v1/LaunchConfig.json");
const v1Scheduled = fixture("ec2launch-v1/instance-initialization.scheduled.xml");
const v1AfterRun = fixture("ec2launch-v1/instance-initialization.after-run.xml");
const ec2config = fixture("ec2config/config.xml");

const windows = (files: VolumeTree): VolumeTree => ({ [SYSTEM_HIVE]: "regf", ...files });
const v2Volume = (config: string) =>
    windows({ [V2_CONFIG]: config, [V2_RUN_ONCE]: "", [V2_PROGRAM]: "MZ" });
const v1Volume = (task: string) =>
    windows({ [V1_CONFIG]: v1Config, [V1_TASK]: task, [V1_PROGRAM]: "# script" });
const ec2configVolume = (config: string) =>
    windows({ [EC2CONFIG]: config, [EC2CONFIG_PROGRAM]: "MZ" });

function text(result: NtfsResult, file: string): string {
    const value = result.after.get(file);
    assert.ok(Buffer.isBuffer(value), `${file} is not a file after the run: ${String(value)}`);
    return value.toString("latin1");
}

/** The one backup beside `file`: its name ends in the data's suffix and it holds `original`. */
function assertBackup(result: NtfsResult, file: string, original: string): void {
    const backups = [...result.after.keys()].filter(
        (name) => name.startsWith(file + ".") && BACKUP.test(name.slice(file.length)),
    );
    assert.equal(backups.length, 1, `one backup of ${file}: ${backups}`);
    assert.equal(text(result, backups[0]), original);
    const change = result.runs[0].json.changes.find((entry) => entry.file === file);
    assert.equal(change?.backup, backups[0]);
}

/** The volume holds exactly what it held before (nothing written, nothing left over). */
function assertUntouched(result: NtfsResult, ignore: string[] = []): void {
    const keep = (map: Map<string, Buffer | string>) =>
        [...map].filter(
            ([name]) => !ignore.some((prefix) => name === prefix || name.startsWith(prefix + "\\")),
        );
    assert.deepEqual(keep(result.after), keep(result.before));
    assert.deepEqual(result.helperChanges, []);
}

function assertOk(result: NtfsResult, agent: string): void {
    for (const run of result.runs) {
        assert.equal(run.status, 0, run.stdout + run.stderr);
        assert.equal(run.json.status, "ok");
        assert.equal(run.json.agent, agent);
    }
}

function assertRefused(result: NtfsResult, reason: RegExp): void {
    const run = result.runs[0];
    assert.equal(run.status, 1, run.stdout + run.stderr);
    assert.equal(run.json.status, "error");
    assert.match(run.json.error ?? "", reason);
    assert.deepEqual(run.json.changes, []);
}

describe("enable-password-reset.ps1 on real NTFS volumes (pwsh -Root, ntfs-3g)", function () {
    this.timeout(600_000);
    before(function () {
        skipUnless(this, ntfsSkipReason());
    });

    describe("EC2Launch v2", () => {
        it("sets the password type to random, deletes .run-once, keeps a backup of each; a second run changes nothing", () => {
            const result = runOnNtfs(v2Volume(v2Static), { runs: 2 });
            assertOk(result, "EC2Launch v2");
            const expected = planEdits("EC2Launch v2", {
                [V2_CONFIG]: v2Static,
                [V2_RUN_ONCE]: "",
            });
            assert.equal(text(result, V2_CONFIG), expected.files[V2_CONFIG]);
            assert.equal(text(result, V2_CONFIG), v2Config);
            assert.ok(!result.after.has(V2_RUN_ONCE));
            assertBackup(result, V2_CONFIG, v2Static);
            assertBackup(result, V2_RUN_ONCE, "");
            assert.deepEqual(
                result.runs[0].json.changes.map((change) => change.action),
                ["modified", "deleted"],
            );
            assert.deepEqual(
                result.runs[1].json.changes.map((change) => [change.action, change.backup]),
                [
                    ["unchanged", null],
                    ["absent", null],
                ],
            );
            assert.ok(
                ![...result.after.keys()].some((name) => name.endsWith(".ec2-reset-access.tmp")),
                "no temporary file left",
            );
        });

        it("keeps CRLF line breaks, comments and the other tasks byte for byte", () => {
            const withComment = replaceOnce(
                crlf(v2Static),
                "  - task: setAdminAccount",
                "  # set by the image builder\r\n  - task: setAdminAccount",
            );
            const result = runOnNtfs(v2Volume(withComment));
            assertOk(result, "EC2Launch v2");
            const after = text(result, V2_CONFIG);
            assertCrlfOnly(after);
            assert.equal(
                after,
                planEdits("EC2Launch v2", { [V2_CONFIG]: withComment }).files[V2_CONFIG],
            );
            assert.equal(
                after,
                replaceOnce(
                    withComment,
                    "        type: static\r\n        data: Sup3r-Secret!\r\n",
                    "        type: random\r\n",
                ),
            );
        });

        it("finds the files when the volume spells the folders in another case (ntfs-3g is case-sensitive)", () => {
            const result = runOnNtfs(
                windows({
                    "programdata\\AMAZON\\ec2launch\\Config\\Agent-Config.yml": v2Static,
                    "programdata\\AMAZON\\ec2launch\\State\\.run-once": "",
                    [V2_PROGRAM]: "MZ",
                }),
            );
            assertOk(result, "EC2Launch v2");
            assert.equal(
                text(result, "programdata\\AMAZON\\ec2launch\\Config\\Agent-Config.yml"),
                v2Config,
            );
            assert.ok(!result.after.has("programdata\\AMAZON\\ec2launch\\State\\.run-once"));
        });
    });

    describe("EC2Launch v1", () => {
        it("sets adminPasswordType to Random while initialization is scheduled; the task file is only read", () => {
            const result = runOnNtfs(v1Volume(crlf(v1Scheduled)), { runs: 2 });
            assertOk(result, "EC2Launch v1");
            const expected = planEdits("EC2Launch v1", {
                [V1_CONFIG]: v1Config,
                [V1_TASK]: v1Scheduled,
            }).files[V1_CONFIG];
            assert.equal(text(result, V1_CONFIG), expected);
            assert.match(expected, /"adminPasswordType": "Random"/);
            assert.equal(text(result, V1_TASK), crlf(v1Scheduled));
            assertBackup(result, V1_CONFIG, v1Config);
            assert.deepEqual(
                result.runs[0].json.changes.map((change) => change.action),
                ["checked", "modified"],
            );
            assert.deepEqual(
                result.runs[1].json.changes.map((change) => change.action),
                ["checked", "unchanged"],
            );
        });

        it("refuses after the first boot (task disabled) and changes nothing", () => {
            const result = runOnNtfs(v1Volume(v1AfterRun));
            assertRefused(
                result,
                /Instance Initialization: the task is disabled .*this tool cannot schedule that offline/,
            );
            assertUntouched(result);
        });
    });

    describe("EC2Config", () => {
        it("enables Ec2SetPassword in a CRLF config.xml, with a backup; a second run changes nothing", () => {
            const result = runOnNtfs(ec2configVolume(crlf(ec2config)), { runs: 2 });
            assertOk(result, "EC2Config");
            const after = text(result, EC2CONFIG);
            assertCrlfOnly(after);
            assert.equal(
                after,
                planEdits("EC2Config", { [EC2CONFIG]: crlf(ec2config) }).files[EC2CONFIG],
            );
            assert.match(after, /<Name>Ec2SetPassword<\/Name>\r\n\s*<State>Enabled<\/State>/);
            assert.match(after, /<Name>Ec2HandleUserData<\/Name>\r\n\s*<State>Disabled<\/State>/);
            assertBackup(result, EC2CONFIG, crlf(ec2config));
            assert.deepEqual(
                result.runs[1].json.changes.map((change) => change.action),
                ["unchanged"],
            );
        });
    });

    describe("refusals", () => {
        it("a volume without Windows", () => {
            const result = runOnNtfs({ [V2_CONFIG]: v2Static });
            assertRefused(
                result,
                /^no Windows on .*: Windows\\System32\\config\\SYSTEM not found$/,
            );
            assertUntouched(result);
        });

        it("Windows without a launch agent", () => {
            const result = runOnNtfs(windows({ "Program Files\\Other\\app.exe": "MZ" }));
            assertRefused(result, /^no launch agent configuration on the volume \(looked for /);
            assertUntouched(result);
        });
    });

    describe("links and junctions on the target's volume", () => {
        const helperEc2Launch = {
            "ProgramData\\Amazon\\EC2Launch\\config\\agent-config.yml": v2Static,
            "ProgramData\\Amazon\\EC2Launch\\state\\.run-once": "",
        };

        it("ProgramData\\Amazon\\EC2Launch a real NTFS junction to the helper's own EC2Launch folder", () => {
            const result = runOnNtfs(windows({ [V2_PROGRAM]: "MZ" }), {
                helper: helperEc2Launch,
                junctions: ["ProgramData\\Amazon\\EC2Launch"],
            });
            assertRefused(
                result,
                /^ProgramData\\Amazon\\EC2Launch is a link or junction \(reparse point\) on the target's volume; refused before any change/,
            );
            // ntfs-3g shows the junction (reparse tag 0xA0000003) as a link through the volume's .NTFS-3G\C: map.
            assert.match(
                String(result.after.get("ProgramData\\Amazon\\EC2Launch")),
                /^-> .*\/\.NTFS-3G\/C:\/ProgramData\/Amazon\/EC2Launch$/,
            );
            assertUntouched(result, ["ProgramData"]);
        });

        const links: [string, VolumeTree, string][] = [
            [
                "ProgramData\\Amazon\\EC2Launch, a folder",
                windows({
                    "ProgramData\\Amazon\\EC2Launch": {
                        symlink: "@helper/ProgramData/Amazon/EC2Launch",
                    },
                    [V2_PROGRAM]: "MZ",
                }),
                "ProgramData\\Amazon\\EC2Launch",
            ],
            [
                "agent-config.yml, a file",
                windows({
                    [V2_CONFIG]: {
                        symlink: "@helper/ProgramData/Amazon/EC2Launch/config/agent-config.yml",
                    },
                    [V2_RUN_ONCE]: "",
                }),
                V2_CONFIG,
            ],
            [
                ".run-once, the file the script renames",
                windows({
                    [V2_CONFIG]: v2Static,
                    [V2_RUN_ONCE]: {
                        symlink: "@helper/ProgramData/Amazon/EC2Launch/state/.run-once",
                    },
                }),
                V2_RUN_ONCE,
            ],
            [
                "the name of the temporary file the script writes",
                windows({
                    [V2_CONFIG]: v2Static,
                    [V2_RUN_ONCE]: "",
                    [`${V2_CONFIG}.ec2-reset-access.tmp`]: {
                        symlink: "@helper/ProgramData/Amazon/EC2Launch/config/agent-config.yml",
                    },
                }),
                `${V2_CONFIG}.ec2-reset-access.tmp`,
            ],
            [
                "Windows, the folder of the marker and of EC2Launch v1's task",
                { Windows: { symlink: "@helper/Windows" }, [V1_CONFIG]: v1Config },
                "Windows",
            ],
            [
                "EC2Launch v1's scheduled task file",
                windows({ [V1_CONFIG]: v1Config, [V1_TASK]: { symlink: "@helper/task.xml" } }),
                V1_TASK,
            ],
        ];
        for (const [what, tree, linked] of links) {
            it(`${what}: a symbolic link into the helper's folder`, () => {
                const result = runOnNtfs(tree, {
                    helper: {
                        ...helperEc2Launch,
                        "Windows\\System32\\config\\SYSTEM": "regf",
                        "Windows\\System32\\Tasks\\Amazon Ec2 Launch - Instance Initialization":
                            v1Scheduled,
                        "task.xml": v1Scheduled,
                    },
                });
                assertRefused(
                    result,
                    new RegExp(
                        `^${linked.replace(/[\\.()]/g, "\\$&")} is a link or junction \\(reparse point\\)`,
                    ),
                );
                assertUntouched(result);
            });
        }

        it("EC2Config's config.xml: a relative link to another file of the volume", () => {
            const tree = windows({
                [EC2CONFIG]: { symlink: "../../../../config-copy.xml" },
                "config-copy.xml": ec2config,
                [EC2CONFIG_PROGRAM]: "MZ",
            });
            const result = runOnNtfs(tree);
            assertRefused(
                result,
                /^Program Files\\Amazon\\Ec2ConfigService\\Settings\\config\.xml is a link or junction/,
            );
            assertUntouched(result);
        });
    });
});
