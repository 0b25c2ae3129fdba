/**
 * The README's args and outputs tables as the TSDoc of components/reset-access-args.ts and
 * components/reset-access.ts says them: one row per argument (in declaration order) and per
 * public output, the type without its pulumi.Input/Output wrapper, the doc comment verbatim.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

const REPO = path.resolve(__dirname, "..", "..");
export const ARGS_FILE = "components/reset-access-args.ts";
export const COMPONENT_FILE = "components/reset-access.ts";

export interface Row {
    name: string;
    type: string;
    required: boolean;
    doc: string;
}

function parse(file: string): ts.SourceFile {
    return ts.createSourceFile(
        file,
        fs.readFileSync(path.join(REPO, file), "utf8"),
        ts.ScriptTarget.ES2022,
        true,
    );
}

function docOf(node: ts.Node, where: string): string {
    const text = ts
        .getJSDocCommentsAndTags(node)
        .filter(ts.isJSDoc)
        .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
        .join(" ");
    const doc = text.replace(/\s+/g, " ").trim();
    if (!doc) throw new Error(`${where} has no TSDoc`);
    return doc;
}

/** `pulumi.Input<T>` / `pulumi.Output<T>` → T. */
function unwrapped(type: ts.TypeNode | undefined): string {
    if (
        type &&
        ts.isTypeReferenceNode(type) &&
        /^pulumi\.(Input|Output)$/.test(type.typeName.getText()) &&
        type.typeArguments?.length === 1
    ) {
        return type.typeArguments[0].getText();
    }
    return type?.getText() ?? "unknown";
}

export function argRows(): Row[] {
    const source = parse(ARGS_FILE);
    const args = source.statements.find(
        (s): s is ts.InterfaceDeclaration =>
            ts.isInterfaceDeclaration(s) && s.name.text === "ResetAccessArgs",
    );
    if (!args) throw new Error(`${ARGS_FILE} declares no ResetAccessArgs`);
    return args.members.filter(ts.isPropertySignature).map((m) => ({
        name: m.name.getText(),
        type: unwrapped(m.type),
        required: !m.questionToken,
        doc: docOf(m, `ResetAccessArgs.${m.name.getText()}`),
    }));
}

export function outputRows(): Row[] {
    const source = parse(COMPONENT_FILE);
    const component = source.statements.find(
        (s): s is ts.ClassDeclaration => ts.isClassDeclaration(s) && s.name?.text === "ResetAccess",
    );
    if (!component) throw new Error(`${COMPONENT_FILE} declares no ResetAccess class`);
    const isPublicOutput = (m: ts.ClassElement): m is ts.PropertyDeclaration =>
        ts.isPropertyDeclaration(m) &&
        !ts
            .getModifiers(m)
            ?.some(
                (x) =>
                    x.kind === ts.SyntaxKind.PrivateKeyword ||
                    x.kind === ts.SyntaxKind.ProtectedKeyword ||
                    x.kind === ts.SyntaxKind.StaticKeyword,
            ) &&
        /^pulumi\.Output</.test(m.type?.getText() ?? "");
    return component.members.filter(isPublicOutput).map((m) => ({
        name: m.name.getText(),
        type: unwrapped(m.type),
        required: true,
        doc: docOf(m, `ResetAccess.${m.name.getText()}`),
    }));
}

/** Markdown for a table cell: pipes escaped; `<` escaped outside code spans (not an HTML tag). */
function cell(text: string): string {
    return text
        .split(/(`[^`]*`)/)
        .map((part) => (part.startsWith("`") ? part : part.replace(/</g, "\\<")))
        .join("")
        .replace(/\|/g, "\\|");
}

export function argsTable(): string {
    return [
        "| arg | type | what it does |",
        "| --- | --- | --- |",
        ...argRows().map(
            (r) =>
                `| \`${r.name}\` | ${cell(`\`${r.type}\``)}${r.required ? " (required)" : ""} | ${cell(r.doc)} |`,
        ),
    ].join("\n");
}

export function outputsTable(): string {
    return [
        "| output | type | what it is |",
        "| --- | --- | --- |",
        ...outputRows().map((r) => `| \`${r.name}\` | ${cell(`\`${r.type}\``)} | ${cell(r.doc)} |`),
    ].join("\n");
}

/** The markdown tables in a README section, each as its lines. */
export function tablesIn(section: string): string[] {
    const tables: string[] = [];
    let current: string[] = [];
    for (const line of section.split("\n")) {
        if (line.startsWith("|")) current.push(line);
        else if (current.length) {
            tables.push(current.join("\n"));
            current = [];
        }
    }
    if (current.length) tables.push(current.join("\n"));
    return tables;
}

export function readmeSection(title: string): string | undefined {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`^## ${escaped}\\n([\\s\\S]*?)(?=^## |(?![\\s\\S]))`, "m").exec(readme)?.[1];
}
