/**
 * Another project consuming this package the way a user's would: `npm pack` of this repository
 * (which runs `prepare`, the build), a fresh folder outside the repository holding
 * examples/consumer with its dependency pointed at that tarball, `npm install`, and `tsc`
 * against the package's declarations. Nothing in the consumer's folder or above it can
 * resolve a module from this repository's node_modules.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const REPO = path.resolve(__dirname, "..", "..");
export const EXAMPLE = path.join(REPO, "examples", "consumer");
export const PACKAGE_NAME = "ec2-reset-access";
const EXAMPLE_FILES = ["Pulumi.yaml", "package.json", "tsconfig.json", "index.ts"];

export interface PackedPackage {
    tarball: string;
    /** Paths inside the tarball, without the leading `package/`. */
    files: string[];
    /** The package.json as packed. */
    manifest: Record<string, any>;
}

/**
 * The environment for npm and node children: no NODE_PATH, no npm_* variables (under
 * `npm test` they carry npm_config_local_prefix=<this repository>, which would make a nested
 * npm work on this repository instead of the consumer).
 */
export function cleanEnvironment(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (/^(npm_|NODE_PATH$|NODE_OPTIONS$|INIT_CWD$)/i.test(key)) continue;
        env[key] = value;
    }
    return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string): string {
    try {
        return execFileSync(command, args, {
            cwd,
            env: cleanEnvironment(),
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            maxBuffer: 64 * 1024 * 1024,
        });
    } catch (error) {
        const e = error as { status?: number; stdout?: string; stderr?: string };
        throw new Error(
            `${command} ${args.join(" ")} (in ${cwd}) failed with ${e.status}:\n${e.stdout ?? ""}\n${e.stderr ?? ""}`,
            { cause: error },
        );
    }
}

/** `npm pack` of this repository into `destination`: what `npm publish` would upload. */
export function packThisPackage(destination: string): PackedPackage {
    const name = run("npm", ["pack", "--pack-destination", destination, "--loglevel=error"], REPO)
        .trim()
        .split("\n")
        .pop()!
        .trim();
    const tarball = path.join(destination, name);
    const files = run("tar", ["-tzf", tarball], destination)
        .split("\n")
        .filter(Boolean)
        .map((f) => f.replace(/^package\//, ""));
    const manifest = JSON.parse(
        run("tar", ["-xzOf", tarball, "package/package.json"], destination),
    );
    return { tarball, files, manifest };
}

/** The first folder at or above `dir` that has a node_modules, or undefined. */
export function nodeModulesAbove(dir: string): string | undefined {
    for (let at = path.dirname(dir); ; at = path.dirname(at)) {
        if (fs.existsSync(path.join(at, "node_modules"))) return path.join(at, "node_modules");
        if (path.dirname(at) === at) return undefined;
    }
}

export class ConsumerProject {
    private constructor(
        readonly dir: string,
        readonly manifest: Record<string, any>,
    ) {}

    /** examples/consumer copied to `<parent>/consumer`, depending on `tarball`, installed and compiled. */
    static create(parent: string, tarball: string): ConsumerProject {
        const dir = path.join(parent, "consumer");
        fs.mkdirSync(dir, { recursive: true });
        for (const file of EXAMPLE_FILES)
            fs.copyFileSync(path.join(EXAMPLE, file), path.join(dir, file));
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
        if (!manifest.dependencies?.[PACKAGE_NAME])
            throw new Error(`examples/consumer/package.json does not depend on ${PACKAGE_NAME}`);
        manifest.dependencies[PACKAGE_NAME] = `file:${tarball}`;
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
        const above = nodeModulesAbove(dir);
        if (above)
            throw new Error(
                `${above} is above the consumer's folder: modules could resolve from it`,
            );
        run(
            "npm",
            ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"],
            dir,
        );
        run(
            process.execPath,
            [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "."],
            dir,
        );
        return new ConsumerProject(dir, manifest);
    }

    /** The compiled program (tsc's outDir is bin/, as in Pulumi's TypeScript templates). */
    get program(): string {
        return path.join(this.dir, "bin", "index.js");
    }

    /** Where `require(name)` resolves from the consumer's folder. */
    resolve(name: string): string {
        return require.resolve(name, { paths: [this.dir] });
    }

    /** The folders holding a copy of `name` anywhere in the consumer's node_modules. */
    copiesOf(name: string): string[] {
        const found: string[] = [];
        const walk = (nodeModules: string) => {
            if (!fs.existsSync(nodeModules)) return;
            if (fs.existsSync(path.join(nodeModules, name, "package.json")))
                found.push(path.join(nodeModules, name));
            for (const entry of fs.readdirSync(nodeModules)) {
                const packages = entry.startsWith("@")
                    ? fs.readdirSync(path.join(nodeModules, entry)).map((p) => path.join(entry, p))
                    : [entry];
                for (const p of packages) walk(path.join(nodeModules, p, "node_modules"));
            }
        };
        walk(path.join(this.dir, "node_modules"));
        return found;
    }

    /** The npm-installed version of `name` at the consumer's root. */
    rootVersion(name: string): string | undefined {
        const file = path.join(this.dir, "node_modules", name, "package.json");
        return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")).version : undefined;
    }
}

export function makeTempRoot(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}
