/**
 * The text edits that re-enable password generation, as pure functions over file contents.
 * scripts/windows/enable-password-reset.ps1 implements the same algorithms line for line (its
 * functions carry the same names in PowerShell form: setCapturedValue -> Set-CapturedValue, ...),
 * so the tests of these functions prove what the script does on the same text.
 *
 * Rules kept so that a reading can confirm the two implementations agree:
 * - regular expressions use only literals, character classes, groups, `*`, `+` and `|`, no `.`
 *   (JavaScript's `.` refuses `\r`, .NET's does not) and no `\s` (the two differ on Unicode);
 *   `^`/`$` are applied to single lines without `\n`, where both engines agree; PowerShell calls
 *   [regex] directly (its -match operator ignores case);
 * - strings are compared ordinally (PowerShell: -ceq, IndexOf with StringComparison.Ordinal);
 * - trimming removes spaces only.
 */

/** An edit that cannot be made safely; its message is the reason the script reports. */
export class EditRefused extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EditRefused";
    }
}

export interface EditResult {
    text: string;
    changed: boolean;
}

/**
 * Sets the first capture group of the single match of `pattern` to `value` (JSON and XML values
 * whose surroundings the pattern pins). No match, or several, is refused: the file is not in a
 * shape this tool knows, and guessing would risk the target's configuration.
 */
export function setCapturedValue(text: string, pattern: string, value: string): EditResult {
    const found = [...text.matchAll(new RegExp(pattern, "gd"))];
    if (found.length !== 1)
        throw new EditRefused(`expected exactly one match of ${pattern}, found ${found.length}`);
    const [start, end] = found[0].indices![1];
    if (text.slice(start, end) === value) return { text, changed: false };
    return { text: text.slice(0, start) + value + text.slice(end), changed: true };
}

/**
 * Refuses unless the scheduled-task XML runs `command` from an enabled boot trigger and the task
 * itself is not disabled. Read-only: the EC2Launch v1 task is checked, never changed.
 */
export function checkBootTask(text: string, command: string): void {
    if (text.indexOf(command) < 0) throw new EditRefused(`the task does not run ${command}`);
    const trigger = elementText(text, "BootTrigger");
    if (trigger === null) throw new EditRefused("the task has no boot trigger");
    if (trigger.indexOf("<Enabled>false</Enabled>") >= 0)
        throw new EditRefused("the task's boot trigger is disabled");
    const settings = elementText(text, "Settings");
    if (settings !== null && settings.indexOf("<Enabled>false</Enabled>") >= 0) {
        throw new EditRefused(
            "the task is disabled (InitializeInstance.ps1 disables it once it has run)",
        );
    }
}

/** The text between the first `<name>` and the `</name>` after it, or null. */
function elementText(text: string, name: string): string | null {
    const open = text.indexOf(`<${name}>`);
    if (open < 0) return null;
    const start = open + name.length + 2;
    const close = text.indexOf(`</${name}>`, start);
    return close < 0 ? null : text.slice(start, close);
}

// ---------------------------------------------------------------------------------------------
// YAML: make `<stage>/<task>/inputs/<key>` exactly the given lines, touching nothing else.
//
// The file is handled as lines in the block layout EC2Launch v2 and its settings tool write
// (sequences of `- stage:` items, each with `tasks:`, a sequence of `- task:` items). Blocks are
// found by indentation: a block ends at the first later line that is neither blank nor a comment
// and is indented no deeper than the block's header. Anything else (JSON form, flow style, tabs
// in indentation, a stage or task given twice) is refused rather than guessed at.

const SPACE_RUN = /^ */;
const NOT_CONTENT = /^ *(#[^\n]*)?$/;
const ITEM_PREFIX = /^( *- +)/;

function body(line: string): string {
    return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function indentOf(line: string): number {
    return SPACE_RUN.exec(body(line))![0].length;
}

function isContent(line: string): boolean {
    return !NOT_CONTENT.test(body(line));
}

function trimSpaces(line: string): string {
    return body(line).replace(/^ +| +$/g, "");
}

/** The first line after `from` (before `to`) with content indented at most `limit`, else `to`. */
function blockEnd(lines: string[], from: number, to: number, limit: number): number {
    for (let i = from + 1; i < to; i++) {
        if (isContent(lines[i]) && indentOf(lines[i]) <= limit) return i;
    }
    return to;
}

/** `to` moved back over blank and comment lines, never before `from + 1`. */
function contentEnd(lines: string[], from: number, to: number): number {
    let end = to;
    while (end > from + 1 && !isContent(lines[end - 1])) end--;
    return end;
}

/** Indices in (from, to) of content lines indented exactly `indent` whose body matches `pattern`. */
function keyLines(
    lines: string[],
    from: number,
    to: number,
    indent: number,
    pattern: RegExp,
): number[] {
    const found: number[] = [];
    for (let i = from + 1; i < to; i++) {
        if (isContent(lines[i]) && indentOf(lines[i]) === indent && pattern.test(body(lines[i])))
            found.push(i);
    }
    return found;
}

/** Refuses if a content line in (from, to) is indented less than `indent`. */
function requireIndent(
    lines: string[],
    from: number,
    to: number,
    indent: number,
    what: string,
): void {
    for (let i = from + 1; i < to; i++) {
        if (isContent(lines[i]) && indentOf(lines[i]) < indent)
            throw new EditRefused(`line ${i + 1}: unexpected indentation in ${what}`);
    }
}

/** Replaces lines [from, to) with `added` (indented text), keeping the file's line breaks. */
function spliceLines(
    lines: string[],
    from: number,
    to: number,
    added: string[],
    eol: string,
): void {
    lines.splice(from, to - from);
    const atEnd = from === lines.length;
    // Appending after a final line that had no line break: that line gets one, the last added
    // line goes without, as the file did.
    if (atEnd && eol !== "" && !lines[from - 1].endsWith(eol))
        lines[from - 1] = lines[from - 1] + eol;
    const withBreaks = added.map((line, k) =>
        atEnd && k === added.length - 1 ? line : line + eol,
    );
    lines.splice(from, 0, ...withBreaks);
}

function scalarPattern(name: string): string {
    return `(${name}|"${name}"|'${name}')`;
}

/**
 * Ensures that in stage `stage` the task `task` has `inputs: <key>:` with exactly `childLines`
 * under it (for EC2Launch v2: preReady / setAdminAccount / password / ["type: random"]).
 * - the task is missing: a new item is added after the stage's last task;
 * - the task has no `inputs:`: one is added right under `- task:`;
 * - `inputs:` has no `<key>:`: it is added as the first input;
 * - `<key>:` exists: its block (the line and everything indented deeper) is replaced, unless
 *   it already holds exactly `childLines`. Other inputs (`name:` …), other tasks, comments
 *   outside the replaced block and the file's line breaks stay byte for byte.
 */
export function ensureYamlTaskInput(
    text: string,
    stage: string,
    task: string,
    key: string,
    childLines: string[],
): EditResult {
    if (/^[ \t\r\n]*[{[]/.test(text)) {
        throw new EditRefused(
            "the file is in JSON form (EC2Launch v2 accepts it); only the block YAML layout is edited",
        );
    }
    const lines = text.split("\n");
    const eol = text.indexOf("\r\n") >= 0 ? "\r" : "";
    const tasks = locateTasks(lines, stage);
    const named: number[] = [];
    for (let k = 0; k < tasks.items.length; k++)
        if (tasks.names[k] === task) named.push(tasks.items[k]);
    if (named.length > 1)
        throw new EditRefused(`task ${task} appears ${named.length} times in stage ${stage}`);
    if (named.length === 0) {
        const at = contentEnd(lines, tasks.items[0], tasks.end);
        const indent = tasks.indent;
        spliceLines(
            lines,
            at,
            at,
            [
                " ".repeat(indent) + `- task: ${task}`,
                " ".repeat(indent + 2) + "inputs:",
                " ".repeat(indent + 4) + `${key}:`,
                ...childLines.map((line) => " ".repeat(indent + 6) + line),
            ],
            eol,
        );
        return { text: lines.join("\n"), changed: true };
    }
    const next = tasks.items.indexOf(named[0]) + 1;
    const itemEnd = contentEnd(
        lines,
        named[0],
        next < tasks.items.length ? tasks.items[next] : tasks.end,
    );
    if (!ensureItemInput(lines, named[0], itemEnd, task, key, childLines, eol))
        return { text, changed: false };
    return { text: lines.join("\n"), changed: true };
}

interface TaskItems {
    /** Line indices of the `- task:` items, in order, and their names without quotes. */
    items: number[];
    names: string[];
    /** Indentation of the items' dashes. */
    indent: number;
    /** The line after the stage's task list (or its last line + 1). */
    end: number;
}

/** Finds the `- task:` items of the single `- stage: <stage>` item. */
function locateTasks(lines: string[], stage: string): TaskItems {
    const stageLine = new RegExp(`^ *- +stage: *${scalarPattern(stage)} *(#[^\\n]*)?$`);
    const stages = keyLinesAnyIndent(lines, stageLine);
    if (stages.length !== 1)
        throw new EditRefused(`expected one "- stage: ${stage}" item, found ${stages.length}`);
    const s = stages[0];
    const stageKeys = ITEM_PREFIX.exec(body(lines[s]))![1].length;
    const stageEnd = blockEnd(lines, s, lines.length, indentOf(lines[s]));
    // A tab-indented line counts as indentation 0, so it ends the stage: checking the stage and
    // the line that ends it finds every tab that could change how the stage is read.
    for (let i = s; i <= stageEnd && i < lines.length; i++) {
        if (/^ *\t/.test(body(lines[i])))
            throw new EditRefused(`line ${i + 1}: a tab in the indentation`);
    }
    const tasksKeys = keyLines(lines, s, stageEnd, stageKeys, /^ *tasks: *(#[^\n]*)?$/);
    if (tasksKeys.length !== 1)
        throw new EditRefused(`expected one "tasks:" in stage ${stage}, found ${tasksKeys.length}`);
    const t = tasksKeys[0];
    // The list ends at the stage's end or at a line that leaves it: shallower than the stage's
    // keys, or at their depth without a dash (another key of the stage item).
    let end = stageEnd;
    for (let i = t + 1; i < stageEnd && end === stageEnd; i++) {
        if (
            isContent(lines[i]) &&
            (indentOf(lines[i]) < stageKeys ||
                (indentOf(lines[i]) === stageKeys && !/^ *- /.test(body(lines[i]))))
        )
            end = i;
    }
    let first = -1;
    for (let i = t + 1; i < end && first < 0; i++) if (isContent(lines[i])) first = i;
    if (first < 0) throw new EditRefused(`stage ${stage} has no tasks`);
    const indent = indentOf(lines[first]);
    const itemLine = /^ *- +task: *([A-Za-z0-9]+|"[A-Za-z0-9]+"|'[A-Za-z0-9]+') *(#[^\n]*)?$/;
    const found: TaskItems = { items: [], names: [], indent, end };
    for (let i = first; i < end; i++) {
        if (!isContent(lines[i]) || indentOf(lines[i]) > indent) continue;
        const match = indentOf(lines[i]) === indent ? itemLine.exec(body(lines[i])) : null;
        if (match === null)
            throw new EditRefused(`line ${i + 1}: expected "- task: <name>" in stage ${stage}`);
        found.items.push(i);
        found.names.push(match[1].replace(/^["']|["']$/g, ""));
    }
    return found;
}

/**
 * Within the task item at lines [itemStart, itemEnd), makes `inputs: <key>:` hold exactly
 * `childLines`. Returns false when it already did (nothing changed).
 */
function ensureItemInput(
    lines: string[],
    itemStart: number,
    itemEnd: number,
    task: string,
    key: string,
    childLines: string[],
    eol: string,
): boolean {
    const itemKeys = ITEM_PREFIX.exec(body(lines[itemStart]))![1].length;
    requireIndent(lines, itemStart, itemEnd, itemKeys, `task ${task}`);
    const inputs = keyLines(lines, itemStart, itemEnd, itemKeys, /^ *inputs *:/);
    if (inputs.length > 1)
        throw new EditRefused(`task ${task} has ${inputs.length} "inputs:" keys`);
    if (inputs.length === 0) {
        spliceLines(
            lines,
            itemStart + 1,
            itemStart + 1,
            [
                " ".repeat(itemKeys) + "inputs:",
                " ".repeat(itemKeys + 2) + `${key}:`,
                ...childLines.map((line) => " ".repeat(itemKeys + 4) + line),
            ],
            eol,
        );
        return true;
    }
    const i = inputs[0];
    if (!/^ *inputs: *(#[^\n]*)?$/.test(body(lines[i])))
        throw new EditRefused(`line ${i + 1}: "inputs:" with an inline value is not supported`);
    let child = -1;
    for (let k = i + 1; k < itemEnd && child < 0; k++) if (isContent(lines[k])) child = k;
    if (child >= 0 && /^ *- /.test(body(lines[child])))
        throw new EditRefused(
            `line ${child + 1}: "inputs:" as a sequence is not supported for task ${task}`,
        );
    const inputsEnd = contentEnd(lines, i, blockEnd(lines, i, itemEnd, itemKeys));
    const childIndent = child >= 0 && child < inputsEnd ? indentOf(lines[child]) : itemKeys + 2;
    requireIndent(lines, i, inputsEnd, childIndent, `the inputs of task ${task}`);
    const keys = keyLines(
        lines,
        i,
        inputsEnd,
        childIndent,
        new RegExp(`^ *${scalarPattern(key)} *:`),
    );
    if (keys.length > 1) throw new EditRefused(`task ${task} has ${keys.length} "${key}:" inputs`);
    const replacement = [
        " ".repeat(childIndent) + `${key}:`,
        ...childLines.map((line) => " ".repeat(childIndent + 2) + line),
    ];
    if (keys.length === 0) {
        spliceLines(lines, i + 1, i + 1, replacement, eol);
        return true;
    }
    const p = keys[0];
    const pEnd = contentEnd(lines, p, blockEnd(lines, p, inputsEnd, childIndent));
    if (holdsExactly(lines, p, pEnd, key, childLines)) return false;
    spliceLines(lines, p, pEnd, replacement, eol);
    return true;
}

/** Indices of all lines whose body matches `pattern`, at any indentation. */
function keyLinesAnyIndent(lines: string[], pattern: RegExp): number[] {
    const found: number[] = [];
    for (let i = 0; i < lines.length; i++) if (pattern.test(body(lines[i]))) found.push(i);
    return found;
}

/** True when lines [p, pEnd) are `key:` and then exactly `childLines`, all at one deeper indent, no comments. */
function holdsExactly(
    lines: string[],
    p: number,
    pEnd: number,
    key: string,
    childLines: string[],
): boolean {
    if (trimSpaces(lines[p]) !== `${key}:`) return false;
    if (pEnd - p - 1 !== childLines.length) return false;
    for (let k = 0; k < childLines.length; k++) {
        const line = lines[p + 1 + k];
        if (!isContent(line) || trimSpaces(line) !== childLines[k]) return false;
        if (indentOf(line) !== indentOf(lines[p + 1]) || indentOf(line) <= indentOf(lines[p]))
            return false;
    }
    return true;
}
