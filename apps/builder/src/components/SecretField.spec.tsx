/** @jest-environment jsdom */
import { fireEvent, render, screen } from '@testing-library/react';
import { SecretField } from './SecretField';

describe('SecretField', () => {
  it('shows the value read-only under its label and selects it all on focus', () => {
    render(<SecretField label="Signing secret" value="whsec_abc123" />);
    const input = screen.getByLabelText<HTMLInputElement>('Signing secret');
    expect(input.value).toBe('whsec_abc123');
    expect(input.readOnly).toBe(true);
    expect(input.className).toBe('input mono');
    fireEvent.focus(input);
    expect([input.selectionStart, input.selectionEnd]).toEqual([0, 'whsec_abc123'.length]);
  });
});
