/** @jest-environment jsdom */
import { fireEvent, render, screen } from '@testing-library/react';
import { FieldInput } from './CtaSections';

describe('FieldInput', () => {
  it('labels its input and ties the help and the error to it', () => {
    const onChange = jest.fn();
    render(
      <FieldInput
        label="Priority"
        help="0–100; the highest wins."
        error="priority: at most 100"
        type="number"
        max={100}
        value={120}
        onChange={onChange}
      />,
    );
    const input = screen.getByLabelText<HTMLInputElement>('Priority');
    expect([input.type, input.max, input.value, input.className]).toEqual(['number', '100', '120', 'input']);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const described = (input.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent);
    expect(described).toEqual(['0–100; the highest wins.', 'priority: at most 100']);
    expect(screen.getByRole('alert').textContent).toBe('priority: at most 100');
    fireEvent.change(input, { target: { value: '90' } });
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it('is valid and described by nothing without help or error, and adds its own classes', () => {
    render(
      <FieldInput label="Clicked element (CSS selector)" className="mono" value="" onChange={() => {}} />,
    );
    const input = screen.getByLabelText('Clicked element (CSS selector)');
    expect(input.className).toBe('input mono');
    expect(input.getAttribute('aria-invalid')).toBe('false');
    expect(input.hasAttribute('aria-describedby')).toBe(false);
  });
});
