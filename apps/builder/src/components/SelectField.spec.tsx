/** @jest-environment jsdom */
import { fireEvent, render, screen } from '@testing-library/react';
import { SelectField } from './SelectField';

const STATUSES = [
  { value: 'pending', label: 'Pending' },
  { value: 'failed', label: 'Failed' },
] as const;

describe('SelectField', () => {
  it('offers the empty "any" choice first and reports the picked value, empty included', () => {
    const onChange = jest.fn();
    render(
      <SelectField label="Status" value="failed" any="Any status" options={STATUSES} onChange={onChange} />,
    );
    const select = screen.getByRole<HTMLSelectElement>('combobox', { name: 'Status' });
    expect(select.value).toBe('failed');
    expect(Array.from(select.options).map((o) => [o.value, o.text])).toEqual([
      ['', 'Any status'],
      ['pending', 'Pending'],
      ['failed', 'Failed'],
    ]);
    fireEvent.change(select, { target: { value: 'pending' } });
    fireEvent.change(select, { target: { value: '' } });
    expect(onChange.mock.calls).toEqual([['pending'], ['']]);
  });

  it('has no empty choice without "any", and takes a wide column when asked', () => {
    render(<SelectField label="Flow" wide value="pending" options={STATUSES} onChange={() => {}} />);
    const select = screen.getByRole<HTMLSelectElement>('combobox', { name: 'Flow' });
    expect(Array.from(select.options).map((o) => o.value)).toEqual(['pending', 'failed']);
    expect(select.closest('label')?.className).toBe('field field--wide');
  });
});
