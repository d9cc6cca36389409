import { Component, type ErrorInfo, type ReactNode } from 'react';
import { errorMessage } from '../api/client';

interface Props {
  children: ReactNode;
  /** Changing this value clears a caught error (e.g. the current path). */
  resetKey?: string;
  title?: string;
}

interface State {
  error: unknown;
  resetKey?: string;
}

/** Shows a caught render error in words with a way out, instead of a blank page. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error ?? new Error('Unknown error') };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    if (props.resetKey !== state.resetKey) return { error: null, resetKey: props.resetKey };
    return null;
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error('Builder error', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <div className="error-page" role="alert">
        <h1>{this.props.title ?? 'This screen ran into a problem'}</h1>
        <p className="error-page__message">{errorMessage(this.state.error)}</p>
        <p className="muted">Your saved work is safe. Try again, or go back to the flows list.</p>
        <div className="row">
          <button type="button" className="btn btn--primary" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
          <a className="btn" href="/">
            Go to start
          </a>
        </div>
      </div>
    );
  }
}
