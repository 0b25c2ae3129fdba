/**
 * `npm run demo [-- --steps LIST --config KEY=VALUE --root-image FILE --keep DIR --time-scale S]`:
 * a rehearsal of the reset against the bundled AWS emulator, no AWS account: a running instance
 * whose root volume is a real filesystem (the demo's own XFS image, or a copy of FILE), then
 * the Pulumi operations of --steps on one stack (default `up,destroy`), run by the project's
 * deployment harness, each printed with what it changed; after each up, fetching and checking
 * the key as a user would, and the key on the volume; after destroy, what remains. With --keep
 * DIR it leaves DIR/root.img (the target's root volume at the end), DIR/id_reset (the key the
 * parameter holds at the end, mode 0600) and DIR/steps.json (each step's AWS writes and
 * publicKey); without it nothing is left on disk. `--make-debian-image FILE` only builds a
 * Debian-style GPT disk image with an ext4 root, to rehearse on.
 *
 * The modeled AWS time (default steps only) is measured as the benchmark measures it: this
 * run's wall-clock time minus the same reset's with the instant profile (timed first, on
 * throwaway targets) and minus the script's own run time, divided by the time scale.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EC2Client } from "@aws-sdk/client-ec2";
import { GetParameterCommand, Parameter, SSMClient } from "@aws-sdk/client-ssm";
import { targetShape } from "../rehearsal/targets";
import { inventory, Inventory } from "../harness/inventory";
import { EC2_USER, TargetVolume } from "../rehearsal/target-volume";
import { RootImageCopy } from "../rehearsal/root-image";
import { makeDebianImage } from "../rehearsal/disk/debian-image";
import { runCommandLine } from "../rehearsal/cli";
import {
    profileFile,
    realDiskUnavailableReason,
    Sandbox,
    Target,
    withCleanup,
} from "../rehearsal/sandbox";
import { formatDuration, median } from "../rehearsal/stats";
import { resetAccessVariant } from "../bench/variants";
import {
    derivedPublicKey,
    displayPath,
    fetchKey,
    fingerprintLine,
    getParameterCommand,
    mode,
    shortKey,
} from "./key";
import { scriptRun } from "./script-output";
import { DEFAULT_STEPS, DemoOptions, parseDemoOptions, Step } from "./options";
import { publicKeyOf, StepRecord, writesOf } from "./changes";
import { Stack, StepOutcome } from "./stack-steps";

export { parseDemoOptions };

const CALIBRATION_RUNS = 3;

/** Wall-clock milliseconds of the same reset with the instant profile: this machine's own work. */
interface Baseline {
    upMs: number;
    destroyMs: number;
}

class Demo {
    private readonly ec2 = new EC2Client({});
    private readonly stack: Stack;
    private readonly records: StepRecord[] = [];
    /** The key parameter's name, known from the first up's outputs; kept after destroy. */
    private keyParameter?: string;

    constructor(
        private readonly sandbox: Sandbox,
        private readonly options: DemoOptions,
        /** Where the key file and the state go when they are not kept; removed by the sandbox's close(). */
        private readonly scratch: string,
    ) {
        this.stack = new Stack({ ...options.config }, scratch);
    }

    async run(): Promise<number> {
        this.header();
        // The modeled AWS time needs a whole reset from nothing and a whole destroy: today's demo.
        const timed = this.options.steps.join(",") === DEFAULT_STEPS.join(",");
        const baseline = timed ? await this.calibrate() : undefined;
        await this.sandbox.reset();
        await this.sandbox.useProfile("realistic");
        const volume: RootVolume = this.options.rootImage
            ? new RootImageCopy(this.options.rootImage, this.sandbox.workDir)
            : this.sandbox.makeRealDisk();
        const target = await this.sandbox.newTarget(
            this.options.rootImage ? volume.imagePath : undefined,
        );
        const before = await inventory();
        this.introduce(target, volume);
        this.stack.config["ec2-reset-access:instanceId"] = target.ctx.instanceId;
        let failed = false;
        for (const [index, step] of this.options.steps.entries()) {
            if (!timed)
                console.log(`── step ${index + 1} of ${this.options.steps.length}: ${step} ──\n`);
            const ok = await this.runStep(step, { volume, target, before, baseline });
            failed ||= !ok;
        }
        if (!timed)
            console.log(
                "(Modeled AWS times are shown for the default --steps up,destroy only; `npm run bench` measures them.)\n",
            );
        if (this.options.keep) await this.keepResults(volume);
        return failed ? 1 : 0;
    }

    /** One step: the Pulumi operation, the AWS writes it made, then what a user would look at. */
    private async runStep(
        step: Step,
        run: { volume: RootVolume; target: Target; before: Inventory; baseline?: Baseline },
    ): Promise<boolean> {
        const mark = (await this.sandbox.emulator.calls()).length;
        if (step === "rotate") {
            const value = new Date().toISOString().replace(/\.\d+Z$/, "Z");
            console.log(`$ pulumi config set rotation ${value}`);
            this.stack.config["ec2-reset-access:rotation"] = value;
        }
        const wasEmpty = !this.stack.state?.resources.length;
        const outcome = await this.operation(step);
        const writes = writesOf((await this.sandbox.emulator.calls()).slice(mark));
        this.records.push({ step, writes, publicKey: publicKeyOf(this.stack.outputs) });
        if (this.stack.outputs?.keyParameterName)
            this.keyParameter = String(this.stack.outputs.keyParameterName);
        let ok = outcome.ok;
        if ((step === "up" || step === "rotate") && outcome.ok) {
            const scriptSeconds = writes.includes("SendCommand")
                ? await this.showScript(String(this.stack.outputs!.helperInstanceId))
                : 0;
            if (run.baseline && wasEmpty)
                this.modeledTime(
                    "until you can log in (pulumi up)",
                    outcome.ms,
                    run.baseline.upMs,
                    scriptSeconds,
                );
            ok = (await this.useKey(this.stack.outputs!, run.volume, run.target)) && ok;
        }
        if (step === "destroy") {
            if (run.baseline && outcome.ok)
                this.modeledTime("for pulumi destroy", outcome.ms, run.baseline.destroyMs, 0);
            await this.remains(run.target, run.before);
        }
        return ok;
    }

    private operation(step: Step): Promise<StepOutcome> {
        switch (step) {
            case "up":
            case "rotate":
                return this.stack.up();
            case "preview":
                return this.stack.preview();
            case "refresh":
                return this.stack.refresh();
            case "destroy":
                return this.stack.destroy();
        }
    }

    private header(): void {
        const s = this.sandbox.timeScale;
        console.log(
            "ec2-reset-access demo: the whole reset against the bundled AWS emulator; no AWS account is used.",
        );
        console.log(
            `  emulator: moto + the project's extensions (emulator/), latency profile ${profileFile("realistic")}`,
        );
        console.log(
            `  at time scale ${s}: 1 AWS second lasts ${+(s * 1000).toFixed(3)} ms here; EC2_RESET_ACCESS_TIME_SCALE=${s} scales the`,
        );
        console.log(
            "  program's own deadlines and polls alike. `pulumi` below is the project's deployment harness",
        );
        console.log(
            "  (harness/deployment.ts): Pulumi's mocks whose registrations really create each resource.\n",
        );
    }

    /**
     * A warm-up, then CALIBRATION_RUNS timed runs of the same reset with the instant profile
     * (every AWS transition at once, the command answered by a canned result): the median is
     * this machine's own time for the reset, which the modeled AWS time leaves out.
     */
    private async calibrate(): Promise<Baseline> {
        process.stdout.write(
            `Calibrating: the same reset with the instant profile (no AWS waits) on throwaway targets, ${CALIBRATION_RUNS + 1} times … `,
        );
        const runs: Baseline[] = [];
        for (let i = 0; i <= CALIBRATION_RUNS; i++) {
            await this.sandbox.reset();
            await this.sandbox.cannedCommand();
            const t = await resetAccessVariant.run((await this.sandbox.newTarget()).ctx);
            if (i > 0)
                runs.push({ upMs: t.accessAt - t.startedAt, destroyMs: t.doneAt - t.accessAt });
        }
        const baseline = {
            upMs: median(runs.map((r) => r.upMs)),
            destroyMs: median(runs.map((r) => r.destroyMs)),
        };
        const list = (pick: (r: Baseline) => number) =>
            runs.map((r) => (pick(r) / 1000).toFixed(1)).join(", ");
        console.log(
            `pulumi up ${list((r) => r.upMs)} s, destroy ${list((r) => r.destroyMs)} s (the first run, a warm-up, not counted)\n`,
        );
        return baseline;
    }

    private introduce({ ctx, instance }: Target, volume: RootVolume): void {
        console.log("The instance you are locked out of (its SSH key is lost):");
        console.log(
            `  ${ctx.instanceId}  ${instance.InstanceType}, ${instance.State?.Name} in ${ctx.availabilityZone}, public IP ${instance.PublicIpAddress ?? "none"}`,
        );
        if (volume instanceof RootImageCopy) {
            console.log(
                `  root volume ${ctx.rootVolumeId} at ${ctx.rootDeviceName}: a copy of ${displayPath(volume.source)} (the file itself is never`,
            );
            console.log(`  changed), ${volume.describe()}, on a loop device.\n`);
        } else {
            console.log(
                `  root volume ${ctx.rootVolumeId} at ${ctx.rootDeviceName}: a real XFS filesystem (a small cloud-image root with`,
            );
            console.log(
                `  users ${EC2_USER.name}, deploy, svc) on a loop device; it shares its XFS UUID with the helper's root, as on EC2.\n`,
            );
        }
        const config = Object.entries(this.options.config).map(
            ([k, v]) => `$ pulumi config set ${k.replace(/^ec2-reset-access:/, "")} ${v}`,
        );
        for (const line of [`$ pulumi config set instanceId ${ctx.instanceId}`, ...config])
            console.log(line);
    }

    /** The script's own lines, as GetCommandInvocation returns them; its real run time in seconds. */
    private async showScript(helperId: string): Promise<number> {
        const run = await scriptRun(helperId);
        if (!run) return 0;
        console.log(
            `What the reset program printed on the helper (SSM GetCommandInvocation, ${run.status}, ${run.seconds.toFixed(1)} s):`,
        );
        for (const line of run.stdout.trimEnd().split("\n")) console.log(`  | ${line}`);
        console.log();
        return run.seconds;
    }

    private modeledTime(
        what: string,
        wallMs: number,
        baselineMs: number,
        scriptSeconds: number,
    ): void {
        const s = this.sandbox.timeScale;
        const seconds = ((wallMs - baselineMs) / 1000 - scriptSeconds) / s;
        const script = scriptSeconds ? ` − ${scriptSeconds.toFixed(1)} s the script ran` : "";
        console.log(`Modeled AWS time ${what}: ${formatDuration(seconds)}`);
        console.log(
            `  = (${(wallMs / 1000).toFixed(1)} s here${script} − ${(baselineMs / 1000).toFixed(1)} s, the instant-profile runs' median) / ${s}:`,
        );
        console.log(
            "  the waiting for AWS as the profile models it, from one run on this machine (`npm run bench` repeats it).\n",
        );
    }

    /** Fetches the key as the README says, checks it, and shows it on the volume. False if it does not match. */
    private async useKey(
        outputs: Record<string, unknown>,
        volume: RootVolume,
        { ctx }: Target,
    ): Promise<boolean> {
        const dir = this.options.keep ?? this.scratch;
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, "id_reset");
        const parameter = String(outputs.keyParameterName);
        console.log("Fetch the key and log in, as a user would:");
        console.log(`$ (umask 077; aws ${getParameterCommand(parameter).join(" ")} > id_reset)`);
        const fetched = await fetchKey(parameter, file);
        const where = this.options.keep
            ? displayPath(file)
            : "a temporary id_reset, removed at the end (--keep DIR keeps it)";
        console.log(
            `  (run here with the ${fetched.via} against the emulator: ${where}, mode ${mode(file)})`,
        );
        console.log("$ ssh-keygen -l -f id_reset");
        console.log(`  ${fingerprintLine(file)}`);
        const current = String(outputs.publicKey).split(" ").slice(0, 2).join(" ");
        const matches = derivedPublicKey(file) === current;
        console.log(
            `  ${matches ? "✓ matches" : "✗ does NOT match"} the publicKey and fingerprint outputs`,
        );
        const users = Array.isArray(outputs.usersUpdated) ? outputs.usersUpdated.map(String) : [];
        console.log(
            `$ ssh -i id_reset ${users[0] ?? EC2_USER.name}@<the instance's new public IP>`,
        );
        console.log(
            "  (the emulator has no network to log in through; what sshd will read is on the root volume:)",
        );
        let found = users.length > 0;
        for (const user of users)
            found = this.showKeysFile(volume, ctx.rootVolumeId, user, current) && found;
        console.log();
        return matches && found;
    }

    /** The user's authorized_keys on the volume: the lines this tool wrote, the current key marked. */
    private showKeysFile(
        volume: RootVolume,
        volumeId: string,
        user: string,
        current: string,
    ): boolean {
        const home = homeOf(volume.readFile("etc/passwd")?.content ?? "", user);
        const relative = `${(home ?? `/home/${user}`).replace(/^\/+/, "")}/.ssh/authorized_keys`;
        const keys = volume.readFile(relative);
        const lines = keys?.content.split("\n").filter((l) => l.includes("ec2-reset-access")) ?? [];
        const owner = keys
            ? ` (owner ${keys.uid}:${keys.gid}, mode ${keys.mode.toString(8).padStart(4, "0")})`
            : "";
        console.log(`  ${volumeId}:/${relative}${owner}:`);
        for (const line of lines)
            console.log(
                `    ${shortKey(line)}${line.startsWith(current) ? "   ← the publicKey output" : ""}`,
            );
        const there = lines.some((l) => l.startsWith(current));
        if (!there) console.log("    the new key is NOT there");
        return there;
    }

    private async remains({ ctx }: Target, before: Inventory): Promise<void> {
        const shape = await targetShape(this.ec2, ctx);
        const after = await inventory();
        const temporary = (Object.keys(after) as (keyof Inventory)[])
            .filter((k) => k !== "images")
            .flatMap((k) =>
                after[k].filter((x) => !before[k].includes(x)).map((x) => `${k}: ${x}`),
            );
        const parameter = await this.parameter();
        console.log("What remains:");
        console.log(
            `  ${ctx.instanceId}: ${shape.state}, root volume ${ctx.rootVolumeId} on it at ${shape.rootDevice}, DeleteOnTermination ${shape.rootDeleteOnTermination}, in-progress tag ${shape.inProgressTag ? "STILL SET" : "gone"}`,
        );
        for (const image of after.images)
            console.log(`  backup AMI "${image}" (kept: retainBackup defaults to true)`);
        if (parameter)
            console.log(
                `  key parameter ${parameter.Name} (${parameter.Type}, version ${parameter.Version}; kept: it is how you log in)`,
            );
        else
            console.log(
                `  key parameter: none${this.keyParameter ? ` (${this.keyParameter} deleted)` : ""}`,
            );
        console.log(
            `  temporary resources: ${temporary.length ? temporary.join(", ") : "none left (VPC, security group, role, profile, document, helper: gone)"}\n`,
        );
    }

    /** The key parameter as it is now (with its value), or undefined when there is none. */
    private async parameter(): Promise<Parameter | undefined> {
        const name =
            this.keyParameter ??
            `/ec2rl/openssh/${this.stack.config["ec2-reset-access:instanceId"]}/key`;
        const out = await new SSMClient({})
            .send(new GetParameterCommand({ Name: name, WithDecryption: true }))
            .catch((err: Error) => {
                if (err.name === "ParameterNotFound") return undefined;
                throw err;
            });
        return out?.Parameter;
    }

    /**
     * DIR/root.img, the target's volume at the end (copied before cleanup removes it); DIR/id_reset,
     * the private key the parameter holds at the end (absent when none remains); DIR/steps.json.
     */
    private async keepResults(volume: RootVolume): Promise<void> {
        const dir = this.options.keep!;
        fs.mkdirSync(dir, { recursive: true });
        const image = path.join(dir, "root.img");
        execFileSync("cp", ["--sparse=always", volume.imagePath, image]);
        const key = path.join(dir, "id_reset");
        const parameter = await this.parameter();
        fs.rmSync(key, { force: true });
        if (parameter?.Value) {
            fs.writeFileSync(key, parameter.Value.replace(/\n*$/, "\n"), { mode: 0o600 });
            fs.chmodSync(key, 0o600);
        }
        fs.writeFileSync(
            path.join(dir, "steps.json"),
            `${JSON.stringify(this.records, null, 2)}\n`,
        );
        console.log(`Kept in ${dir}:`);
        const look =
            volume instanceof RootImageCopy
                ? "a copy of the image you gave"
                : `XFS; look inside: mount -o ro,nouuid,loop ${image} /mnt`;
        console.log(`  root.img     the target's root volume at the end (${look})`);
        console.log(
            fs.existsSync(key)
                ? `  id_reset     the private key the parameter holds at the end (mode ${mode(key)})`
                : "  (no id_reset: no key parameter remains)",
        );
        console.log(`  steps.json   each step's AWS writes and the publicKey output after it`);
        console.log();
    }
}

/** The home directory /etc/passwd gives a user, or undefined. */
export function homeOf(passwd: string, user: string): string | undefined {
    return passwd
        .split("\n")
        .map((l) => l.split(":"))
        .find((f) => f[0] === user)?.[5];
}

/** The target's root volume as the demo reads it: its own XFS image or a copy of the user's. */
type RootVolume = Pick<TargetVolume, "imagePath" | "readFile">;

async function main(options: DemoOptions): Promise<number> {
    const reason = realDiskUnavailableReason();
    if (reason) {
        console.error(
            `demo: needs root and loop devices for the target's real root volume, and they are unavailable: ${reason}`,
        );
        return 2;
    }
    if (options.makeDebianImage) {
        makeDebianImage(options.makeDebianImage);
        console.log(
            `${displayPath(options.makeDebianImage)}: a Debian-style GPT disk image (partition 14 BIOS boot, 15 EFI system in FAT,`,
        );
        console.log(
            "1 the ext4 root, with Debian 12's accounts: the cloud user admin). Rehearse on it:",
        );
        console.log(
            `  npm run demo -- --root-image ${displayPath(options.makeDebianImage)} --steps up,refresh,up,rotate,destroy`,
        );
        return 0;
    }
    let sandbox: Sandbox | undefined;
    return withCleanup(
        async () => {
            sandbox = await Sandbox.start("instant", options.timeScale);
            return new Demo(sandbox, options, sandbox.scratchDir("demo")).run();
        },
        async () => sandbox?.close(),
    );
}

if (require.main === module) runCommandLine("demo", parseDemoOptions, main);
