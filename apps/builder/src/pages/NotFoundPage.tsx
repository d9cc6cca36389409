import { Link } from 'react-router-dom';

export function NotFoundPage() {
  return (
    <div className="page">
      <div className="empty">
        <h1>Page not found</h1>
        <p>The address does not match any screen. It may have been moved, or the link is incomplete.</p>
        <Link className="btn btn--primary" to="/">
          Go to your flows
        </Link>
      </div>
    </div>
  );
}
