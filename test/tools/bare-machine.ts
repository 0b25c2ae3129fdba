/**
 * A simulated bare machine for tools/deps/check.ts: a temp HOME and a PATH holding only stubs
 * and the few Essential tools (bash, sed…) every Debian has.
 * The apt-get stub records each call and "installs" a package by putting a stub of its command
 * on that PATH (or refuses packages it does not know, as apt-get does); python3 answers that
 * moto is present. Nothing is installed on the real machine and nothing outside the temp dir
 * is written.
 */
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findCommand } from "../../tools/deps/probes";

const REPO = path.join(__dirname, "..", "..");
const ESSENTIAL = ["bash", "dirname", "sed", "cat"];

export interface CheckRun {
    status: number | null;
    /** the check's own lines, "deps: " prefix removed */
    lines: string[];
    /** each apt-get call's arguments, in order */
    aptCalls: string[];
    output: string;
    capabilities: { unavailable: Record<string, string>; checked: string[] };
    capabilitiesFile: string;
}

export class BareMachine {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "deps-bare-"));
    readonly bin = path.join(this.dir, "bin");
    readonly home = path.join(this.dir, "home");
    private readonly log = path.join(this.dir, "apt-get.log");

    /** `aptKnows`: package → the command its stub install provides; other packages are refused. */
    constructor(aptKnows: Record<string, string>) {
        fs.mkdirSync(this.bin);
        fs.mkdirSync(this.home);
        fs.writeFileSync(path.join(this.dir, "apt-knows.json"), JSON.stringify(aptKnows));
        fs.writeFileSync(this.log, "");
        this.stub("apt-get", aptGetStub(this.bin, this.log, path.join(this.dir, "apt-knows.json")));
        this.stub("python3", "#!/bin/sh\nexit 0\n"); // moto "present": the emulator's script asks python3
        // What every Debian has (Essential packages), for the emulator's bash script.
        for (const tool of ESSENTIAL) fs.symlinkSync(findCommand(tool)!, path.join(this.bin, tool));
    }

    private stub(name: string, text: string): void {
        fs.writeFileSync(path.join(this.bin, name), text, { mode: 0o755 });
    }

    /** Runs the check for `purpose` with only the stubs on PATH, as `uid` when given. */
    check(purpose: string, uid?: number): CheckRun {
        const capabilitiesFile = path.join(this.dir, "capabilities.json");
        if (uid !== undefined) {
            for (const owned of [this.dir, this.home]) fs.chownSync(owned, uid, uid);
        }
        const result: SpawnSyncReturns<string> = spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", "tools/deps/check.ts", purpose],
            {
                cwd: REPO,
                encoding: "utf8",
                uid,
                gid: uid,
                env: {
                    PATH: this.bin,
                    HOME: this.home,
                    EC2_RESET_ACCESS_CAPABILITIES: capabilitiesFile,
                    TS_NODE_TRANSPILE_ONLY: "1",
                },
            },
        );
        const output = `${result.stdout}${result.stderr}`;
        return {
            status: result.status,
            lines: result.stdout
                .split("\n")
                .filter((line) => line.startsWith("deps: "))
                .map((line) => line.slice("deps: ".length)),
            aptCalls: fs.readFileSync(this.log, "utf8").split("\n").filter(Boolean),
            output,
            capabilities: fs.existsSync(capabilitiesFile)
                ? JSON.parse(fs.readFileSync(capabilitiesFile, "utf8"))
                : { unavailable: {}, checked: [] },
            capabilitiesFile,
        };
    }

    cleanup(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

function aptGetStub(bin: string, log: string, knows: string): string {
    return `#!${process.execPath}
const fs = require("fs");
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, args.join(" ") + "\\n");
if (args[0] === "update") process.exit(0);
const knows = JSON.parse(fs.readFileSync(${JSON.stringify(knows)}, "utf8"));
const packages = args.slice(1).filter((arg) => !arg.startsWith("-"));
const unknown = packages.find((name) => !(name in knows));
if (unknown) {
    console.error("E: Unable to locate package " + unknown);
    process.exit(100);
}
for (const name of packages) fs.writeFileSync(${JSON.stringify(bin)} + "/" + knows[name], "#!/bin/sh\\nexit 0\\n", { mode: 0o755 });
`;
}
