/**
 * `npm run demo` options. Everything is checked here, before the emulator starts or any image is
 * touched: a bad value ends the run with one line naming it and what is accepted (exit 2).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { argsFromConfig } from "../lib/config-args";
import { DEFAULT_PROJECT } from "../harness/deployment";
import { rootImageProblem } from "../rehearsal/root-image";

export const STEPS = ["up", "preview", "refresh", "rotate", "destroy"] as const;
export type Step = (typeof STEPS)[number];
export const DEFAULT_STEPS: Step[] = ["up", "destroy"];

export const USAGE =
    "usage: npm run demo -- [--steps up,preview,refresh,rotate,destroy] [--config KEY=VALUE]… [--root-image FILE] [--keep DIR] [--time-scale S]" +
    " | --make-debian-image FILE";

export interface DemoOptions {
    keep?: string;
    timeScale: number;
    steps: Step[];
    /** Stack config as `pulumi config set` stores it: keys with the project's prefix. */
    config: Record<string, string>;
    /** A raw disk image used, through a copy, as the target's root volume. */
    rootImage?: string;
    /** Only build a Debian-style GPT disk image (ext4 root) at this path, then exit. */
    makeDebianImage?: string;
}

/** A bad argument: its message is the one line the demo prints before exiting 2. */
export class UsageError extends Error {
    override name = "UsageError";
}

/**
 * The stack config keys the program reads (lib/config-args.ts), found by letting it read a
 * config that records the names asked for: the list cannot drift from the program.
 */
export function programConfigKeys(): string[] {
    const keys: string[] = [];
    const record = (key: string) => void keys.push(key);
    const recorder = {
        get: record,
        getBoolean: record,
        getNumber: record,
        getObject: record,
        getSecret: record,
        require: (key: string) => (keys.push(key), "recorded"),
    };
    argsFromConfig(recorder as unknown as pulumi.Config);
    return [...new Set(keys)];
}

/** Keys --config accepts: the program's, but instanceId, which the demo sets to its own target. */
export function acceptedConfigKeys(): string[] {
    return programConfigKeys().filter((k) => k !== "instanceId");
}

export function parseDemoOptions(
    argv: string[],
    cwd = process.env.INIT_CWD ?? process.cwd(),
): DemoOptions {
    const options: DemoOptions = { timeScale: 0.05, steps: [...DEFAULT_STEPS], config: {} };
    // npm runs scripts in the package's folder; INIT_CWD is where `npm run demo` was typed.
    const file = (value: string) => path.resolve(cwd, value);
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        const value = argv[i + 1];
        const needsValue = [
            "--keep",
            "--time-scale",
            "--steps",
            "--config",
            "--root-image",
            "--make-debian-image",
        ];
        if (needsValue.includes(flag) && (value === undefined || value.startsWith("--"))) {
            throw new UsageError(`${flag} needs a value; ${USAGE}`);
        }
        if (flag === "--keep") options.keep = file(value);
        else if (flag === "--time-scale") options.timeScale = timeScale(value);
        else if (flag === "--steps") options.steps = parseSteps(value);
        else if (flag === "--config") Object.assign(options.config, parseConfig(value));
        else if (flag === "--root-image") options.rootImage = checkedImage(file(value));
        else if (flag === "--make-debian-image")
            options.makeDebianImage = newFile(flag, file(value));
        else throw new UsageError(`unknown argument ${flag}; ${USAGE}`);
        i++;
    }
    if (options.makeDebianImage && argv.length > 2) {
        throw new UsageError(
            `--make-debian-image builds an image and exits: give it alone; ${USAGE}`,
        );
    }
    return options;
}

function timeScale(value: string): number {
    const scale = Number(value);
    if (!(scale > 0 && scale <= 1))
        throw new UsageError(
            `--time-scale ${value}: accepted: a number above 0, at most 1 (e.g. 0.05)`,
        );
    return scale;
}

export function parseSteps(list: string): Step[] {
    const words = list.split(",").map((w) => w.trim());
    const bad = words.find((w) => !(STEPS as readonly string[]).includes(w));
    if (bad !== undefined) {
        throw new UsageError(
            `--steps: "${bad}" is not a step; accepted: ${STEPS.join(", ")} (comma-separated, e.g. up,refresh,up,rotate,destroy)`,
        );
    }
    return words as Step[];
}

/** KEY=VALUE → {"ec2-reset-access:KEY": VALUE}; the key bare or with the project's prefix. */
export function parseConfig(pair: string): Record<string, string> {
    const at = pair.indexOf("=");
    const accepted = acceptedConfigKeys();
    const hint = `accepted: ${accepted.join(", ")} (bare or as ${DEFAULT_PROJECT}:KEY)`;
    if (at <= 0) throw new UsageError(`--config ${pair}: expected KEY=VALUE; ${hint}`);
    const key = pair.slice(0, at);
    const bare = key.startsWith(`${DEFAULT_PROJECT}:`)
        ? key.slice(DEFAULT_PROJECT.length + 1)
        : key;
    if (bare === "instanceId")
        throw new UsageError(
            `--config ${key}: the demo sets instanceId to its own target; ${hint}`,
        );
    if (!accepted.includes(bare))
        throw new UsageError(`--config ${key}: not a config key of this program; ${hint}`);
    return { [`${DEFAULT_PROJECT}:${bare}`]: pair.slice(at + 1) };
}

/** A path for a file the demo creates: never one that exists (it could be someone's image). */
function newFile(flag: string, file: string): string {
    if (fs.existsSync(file))
        throw new UsageError(`${flag} ${file}: exists; accepted: a path where no file is yet`);
    if (!fs.existsSync(path.dirname(file)))
        throw new UsageError(
            `${flag} ${file}: no folder ${path.dirname(file)}; accepted: a new file in an existing folder`,
        );
    return file;
}

function checkedImage(file: string): string {
    const problem = rootImageProblem(file);
    if (problem) throw new UsageError(`--root-image ${file}: ${problem}`);
    return file;
}
