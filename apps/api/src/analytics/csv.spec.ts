import fc from 'fast-check';
import { toCsv } from './csv';

/** A tiny RFC 4180 reader, enough to round-trip what toCsv writes. */
function parse(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cur);
      cur = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cur);
      rows.push(row);
      row = [];
      cur = '';
      i++;
    } else cur += c;
  }
  return rows;
}

describe('toCsv', () => {
  it('round-trips any text that does not start like a formula', () => {
    const safe = fc.string().filter((s) => !/^[=+\-@\t\r]/.test(s));
    fc.assert(
      fc.property(fc.array(fc.array(safe, { minLength: 2, maxLength: 2 }), { maxLength: 5 }), (rows) => {
        expect(parse(toCsv(['a', 'b'], rows))).toEqual([['a', 'b'], ...rows]);
      }),
    );
  });

  it('neutralises formulas and writes empty cells for null', () => {
    expect(toCsv(['x', 'y'], [['=SUM(A1)', null]])).toBe("x,y\r\n'=SUM(A1),\r\n");
    expect(toCsv(['n'], [[1.5]])).toBe('n\r\n1.5\r\n');
  });
});
