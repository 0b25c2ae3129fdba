/** A plain-text table: the first column left-aligned, the others right-aligned (figures). */

export function formatTable(header: string[], rows: string[][]): string {
    const width = header.length;
    for (const row of rows) {
        if (row.length !== width)
            throw new Error(
                `a row has ${row.length} cells, the header ${width}: ${row.join(" | ")}`,
            );
    }
    const all = [header, ...rows];
    const widths = header.map((_, column) =>
        Math.max(...all.map((row) => [...row[column]].length)),
    );
    const line = (row: string[]) =>
        row
            .map((cell, column) =>
                column === 0 ? padEnd(cell, widths[column]) : padStart(cell, widths[column]),
            )
            .join("  ")
            .trimEnd();
    const rule = widths.map((w) => "-".repeat(w)).join("  ");
    return [line(header), rule, ...rows.map(line)].join("\n");
}

// Lengths in code points, so that "–" counts as one column.
function padEnd(text: string, width: number): string {
    return text + " ".repeat(width - [...text].length);
}

function padStart(text: string, width: number): string {
    return " ".repeat(width - [...text].length) + text;
}
