import type { ReactNode } from 'react';

/**
 * A list table as the settings, webhooks and runs pages show them: a scrolling wrapper, a table named by
 * `label`, one column header per entry of `columns` (`false` entries are left out, for columns shown
 * only sometimes), and an unnamed last column for the rows' buttons when `actions` is set. The children
 * are the rows.
 */
export function DataTable({
  label,
  columns,
  actions = false,
  children,
}: {
  label: string;
  columns: readonly (string | false)[];
  actions?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            {columns.map(
              (column) =>
                column !== false && (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ),
            )}
            {actions && (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
