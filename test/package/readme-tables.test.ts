/**
 * The README's "Args and outputs" tables say what the TSDoc says: every argument of
 * ResetAccessArgs and every output of ResetAccess, in source order, with its type, whether it
 * is required, and its doc comment. When this fails, paste the expected table it prints.
 */
import * as assert from "node:assert/strict";
import {
    ARGS_FILE,
    argRows,
    argsTable,
    COMPONENT_FILE,
    outputRows,
    outputsTable,
    readmeSection,
    tablesIn,
} from "./readme-tables";

const SECTION = "Args and outputs";

describe(`README "${SECTION}" against the TSDoc`, () => {
    const section = readmeSection(SECTION);

    it("reads every argument and output, each documented", () => {
        const args = argRows();
        assert.ok(args.length >= 10, `only ${args.length} arguments read from ${ARGS_FILE}`);
        assert.deepEqual(
            args.filter((r) => r.required).map((r) => r.name),
            ["instanceId"],
        );
        const outputs = outputRows().map((r) => r.name);
        assert.ok(
            outputs.includes("keyParameterName") && outputs.includes("targetState"),
            `outputs read from ${COMPONENT_FILE}: ${outputs}`,
        );
    });

    it("has the args table of ResetAccessArgs", () => {
        assert.ok(section, `README.md has no "## ${SECTION}" section`);
        const expected = argsTable();
        assert.ok(
            tablesIn(section).includes(expected),
            `the args table differs from ${ARGS_FILE}'s TSDoc; expected:\n\n${expected}\n`,
        );
    });

    it("has the outputs table of ResetAccess", () => {
        assert.ok(section, `README.md has no "## ${SECTION}" section`);
        const expected = outputsTable();
        assert.ok(
            tablesIn(section).includes(expected),
            `the outputs table differs from ${COMPONENT_FILE}'s TSDoc; expected:\n\n${expected}\n`,
        );
    });
});
