/** @jest-environment jsdom */
import { render, screen, within } from '@testing-library/react';
import { DataTable } from './DataTable';

describe('DataTable', () => {
  it('names the table, heads its columns and holds the rows', () => {
    render(
      <DataTable label="Keys" columns={['Name', 'Kind']} actions>
        <tr>
          <td>Production</td>
          <td>Write</td>
          <td>
            <button type="button">Rotate</button>
          </td>
        </tr>
      </DataTable>,
    );
    const table = screen.getByRole('table', { name: 'Keys' });
    const headers = within(table).getAllByRole('columnheader');
    expect(headers.map((th) => th.textContent)).toEqual(['Name', 'Kind', 'Actions']);
    expect(headers.every((th) => th.getAttribute('scope') === 'col')).toBe(true);
    expect(within(headers[2]).getByText('Actions').className).toBe('visually-hidden');
    const [, row] = within(table).getAllByRole('row');
    expect(
      within(row)
        .getAllByRole('cell')
        .map((td) => td.textContent),
    ).toEqual(['Production', 'Write', 'Rotate']);
    expect(table.parentElement?.className).toBe('table-wrap');
  });

  it('leaves out the columns given as false and the actions column unless asked', () => {
    const compact = true;
    render(
      <DataTable label="Runs" columns={['Started', !compact && 'Version', 'Status']}>
        <tr>
          <td>today</td>
          <td>running</td>
        </tr>
      </DataTable>,
    );
    expect(screen.getAllByRole('columnheader').map((th) => th.textContent)).toEqual(['Started', 'Status']);
  });
});
