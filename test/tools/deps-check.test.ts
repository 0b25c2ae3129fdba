/**
 * tools/deps/check.ts on a simulated bare machine (test/tools/bare-machine.ts): which packages
 * it asks apt-get for, the one line it prints for each thing it cannot get, the reasons it
 * records for the tests, and how the tests print and count those skips.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { REQUIREMENTS } from "../../tools/deps/requirements";
import { requireCapability } from "../support/requirements";
import { BareMachine, CheckRun } from "./bare-machine";

const REPO = path.join(__dirname, "..", "..");
const NOBODY = 65534;

/** Every Debian package of the manifest, with the command that shows it is installed. */
const DEBIAN: Record<string, string> = {
    e2fsprogs: "mkfs.ext4",
    xfsprogs: "mkfs.xfs",
    "btrfs-progs": "mkfs.btrfs",
    lvm2: "lvm",
    gdisk: "sgdisk",
    fdisk: "sfdisk",
    dosfstools: "mkfs.vfat",
    attr: "setfattr",
    "openssh-client": "ssh-keygen",
    shellcheck: "shellcheck",
    "ntfs-3g": "ntfs-3g",
    mypy: "mypy",
    pyflakes3: "pyflakes3",
};
const INSTALL = "install -y -qq --no-install-recommends";

function without(names: string[]): Record<string, string> {
    return Object.fromEntries(Object.entries(DEBIAN).filter(([name]) => !names.includes(name)));
}

/** The capabilities named in "<capability> unavailable: …" lines, in order. */
function unavailableNamed(run: CheckRun): string[] {
    return run.lines
        .map((line) => /^(\S+) unavailable: /.exec(line)?.[1])
        .filter((name): name is string => name !== undefined);
}

function lineOf(run: CheckRun, capability: string): string {
    const lines = run.lines.filter((line) => line.startsWith(`${capability} unavailable: `));
    assert.equal(lines.length, 1, `one line for ${capability}:\n${run.output}`);
    return lines[0];
}

describe("tools/deps/check.ts on a bare machine (stubbed apt-get, no dotnet, no loop tools)", function () {
    this.timeout(120_000);
    let machine: BareMachine;

    afterEach(() => machine?.cleanup());

    it("as root: asks apt-get for every missing package at once, retries one by one, names what it could not get", function () {
        requireCapability(this, "root");
        machine = new BareMachine(without(["ntfs-3g", "btrfs-progs"]));

        const run = machine.check("test");

        assert.equal(run.status, 0, run.output);
        const packages = Object.keys(DEBIAN).join(" ");
        assert.deepEqual(run.aptCalls, [
            "update -qq",
            `${INSTALL} ${packages}`,
            ...Object.keys(DEBIAN).map((name) => `${INSTALL} ${name}`),
        ]);
        assert.deepEqual(unavailableNamed(run).sort(), [
            "btrfs-progs",
            "device-mapper",
            "dotnet",
            "loop-devices",
            "ntfs-3g",
            "pester",
            "pwsh",
        ]);
        assert.equal(
            lineOf(run, "ntfs-3g"),
            "ntfs-3g unavailable: ntfs-3g not found on PATH; not installed: apt-get install exited 100: E: Unable to locate package ntfs-3g. " +
                "Needed by the real NTFS tests of the Windows script. Get it: apt-get install ntfs-3g",
        );
        assert.equal(
            lineOf(run, "pwsh"),
            `pwsh unavailable: pwsh not found on PATH nor in ${machine.home}/.dotnet/tools; not installed: no dotnet (the .NET SDK) to install it with. ` +
                "Needed by the Windows script's parser and Pester tests (test/windows). Get it: dotnet tool install --global PowerShell --version 7.6.9 (needs the .NET SDK)",
        );
        assert.match(
            lineOf(run, "pester"),
            /^pester unavailable: PowerShell module Pester 5\.7\.1 not found in .*; not installed: no dotnet \(the \.NET SDK\) to restore it with\./,
        );
        assert.match(
            lineOf(run, "loop-devices"),
            /^loop-devices unavailable: (losetup not found on PATH|no \/dev\/loop-control)/,
        );
        assert.match(
            run.lines.at(-1)!,
            /^13 of 20 requirements present; tests needing the others will be skipped/,
        );
        assert.equal(REQUIREMENTS.length, 20, "the manifest changed: update this test's counts");
        // What the tests will print when they skip: the reason and how to get it.
        assert.deepEqual(
            Object.keys(run.capabilities.unavailable).sort(),
            unavailableNamed(run).sort(),
        );
        assert.equal(
            run.capabilities.unavailable["ntfs-3g"],
            "ntfs-3g unavailable: ntfs-3g not found on PATH; not installed: apt-get install exited 100: E: Unable to locate package ntfs-3g; get it: apt-get install ntfs-3g",
        );
    });

    it("not root: calls no apt-get and names root and every package, each with why it was not installed", function () {
        requireCapability(this, "root"); // to run the check as another user
        machine = new BareMachine(DEBIAN);

        const run = machine.check("test", NOBODY);

        assert.equal(run.status, 0, run.output);
        assert.deepEqual(run.aptCalls, []);
        assert.equal(
            lineOf(run, "root"),
            "root unavailable: not running as root (loop devices, mounts and apt-get need root). " +
                "Needed by test/scripts, test/e2e, test/dynamic-providers/offline-reset, test/emulator/disks-loop, the demo. Get it: run as root (sudo npm test)",
        );
        assert.equal(
            lineOf(run, "xfsprogs"),
            "xfsprogs unavailable: mkfs.xfs not found on PATH; not installed: apt-get needs root. " +
                "Needed by test/scripts, test/e2e, test/dynamic-providers/offline-reset, the demo. Get it: apt-get install xfsprogs",
        );
        for (const name of Object.keys(DEBIAN)) lineOf(run, name);
        assert.match(lineOf(run, "loop-devices"), /^loop-devices unavailable: not running as root/);
    });

    it("for the demo: asks only for the demo's packages, and exits 2 naming what is missing and how to get it", function () {
        requireCapability(this, "root");
        machine = new BareMachine(without(["xfsprogs"]));

        const run = machine.check("demo");

        assert.equal(run.status, 2, run.output);
        assert.deepEqual(run.aptCalls, [
            "update -qq",
            `${INSTALL} e2fsprogs xfsprogs fdisk dosfstools openssh-client`,
            ...["e2fsprogs", "xfsprogs", "fdisk", "dosfstools", "openssh-client"].map(
                (p) => `${INSTALL} ${p}`,
            ),
        ]);
        assert.deepEqual(unavailableNamed(run), ["loop-devices", "xfsprogs"]);
        assert.match(lineOf(run, "xfsprogs"), /Get it: apt-get install xfsprogs$/);
        assert.equal(run.lines.at(-1), "the demo cannot run without the above");
    });

    it("the tests print each skip's reason from the check, and the root hook counts skipped tests by reason", function () {
        requireCapability(this, "root");
        machine = new BareMachine(without(["ntfs-3g"]));
        const check = machine.check("test");
        assert.equal(check.status, 0, check.output);

        const mocha = spawnSync(
            process.execPath,
            [
                path.join(REPO, "node_modules", "mocha", "bin", "mocha.js"),
                "--no-config",
                "--require",
                "ts-node/register/transpile-only",
                "--require",
                "test/hooks.ts",
                "--timeout",
                "60000",
                "--reporter",
                "spec",
                "test/tools/fixtures/skips.fixture.ts",
            ],
            {
                cwd: REPO,
                encoding: "utf8",
                env: { ...process.env, EC2_RESET_ACCESS_CAPABILITIES: check.capabilitiesFile },
            },
        );

        const output = mocha.stdout + mocha.stderr;
        assert.equal(mocha.status, 0, output);
        const ntfs = check.capabilities.unavailable["ntfs-3g"];
        const pwsh = check.capabilities.unavailable.pwsh;
        const printed = (reason: string) =>
            output.split("\n").filter((line) => line.trim() === `skipped: ${reason}`).length;
        assert.equal(printed(ntfs), 1, `the suite's skip printed once\n${output}`);
        assert.equal(printed(pwsh), 2, `each test's skip printed\n${output}`);
        const summary = output
            .slice(output.indexOf("Skipped, by reason:"))
            .split("\n")
            .slice(1, 5)
            .map((line) => line.trim());
        assert.deepEqual(summary, [
            `3 skipped: ${ntfs}`,
            `2 skipped: ${pwsh}`,
            `1 skipped: ${check.capabilities.unavailable.pester}`,
            "1 skipped: no reason recorded (it.skip, or a skip outside test/support/requirements.ts: see above)",
        ]);
        assert.match(output, /1 passing/);
        assert.match(output, /7 pending/);
    });
});
