import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { authApi } from '../api/auth';
import { errorMessage } from '../api/client';
import { useAuthStore } from '../state/auth-store';

interface FormValues {
  name: string;
  email: string;
  password: string;
  accountName: string;
}

export function AuthPage({ mode }: { mode: 'login' | 'signup' }) {
  const signup = mode === 'signup';
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    formState: { errors, isSubmitting },
  } = useForm<FormValues>({ defaultValues: { name: '', email: '', password: '', accountName: '' } });

  const onSubmit = handleSubmit(async (values) => {
    setError(null);
    try {
      const tokens = signup
        ? await authApi.signup({
            email: values.email.trim(),
            password: values.password,
            name: values.name.trim(),
            accountName: values.accountName.trim() || undefined,
          })
        : await authApi.login({ email: values.email.trim(), password: values.password });
      queryClient.clear();
      useAuthStore.getState().setAccessToken(tokens.accessToken);
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (caught) {
      setError(errorMessage(caught));
    }
  });

  return (
    <main className="center-page">
      <div className="auth">
        <div className="auth__brand">
          <span className="logo" aria-hidden="true">
            N
          </span>
          Nudgeflow
        </div>
        <form className="card stack" onSubmit={onSubmit} noValidate aria-labelledby="auth-title">
          <h1 id="auth-title">{signup ? 'Create your account' : 'Log in'}</h1>
          {error && (
            <div className="banner banner--error" role="alert">
              {error}
            </div>
          )}
          {signup && (
            <label className="field">
              <span>Your name</span>
              <input
                className="input"
                autoComplete="name"
                aria-invalid={Boolean(errors.name)}
                {...register('name', { required: 'Enter your name' })}
              />
              {errors.name && <span className="field__error">{errors.name.message}</span>}
            </label>
          )}
          <label className="field">
            <span>Email</span>
            <input
              className="input"
              type="email"
              autoComplete="email"
              aria-invalid={Boolean(errors.email)}
              {...register('email', {
                required: 'Enter your email',
                pattern: { value: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, message: 'Enter a valid email address' },
              })}
            />
            {errors.email && <span className="field__error">{errors.email.message}</span>}
          </label>
          <label className="field">
            <span>Password</span>
            <input
              className="input"
              type="password"
              autoComplete={signup ? 'new-password' : 'current-password'}
              aria-invalid={Boolean(errors.password)}
              {...register('password', {
                required: 'Enter your password',
                minLength: signup ? { value: 10, message: 'Use at least 10 characters' } : undefined,
              })}
            />
            {signup && !errors.password && <span className="field__help">At least 10 characters.</span>}
            {errors.password && <span className="field__error">{errors.password.message}</span>}
          </label>
          {signup && (
            <label className="field">
              <span>Company or workspace name (optional)</span>
              <input className="input" autoComplete="organization" {...register('accountName')} />
            </label>
          )}
          <button type="submit" className="btn btn--primary" disabled={isSubmitting}>
            {isSubmitting ? 'Please wait…' : signup ? 'Create account' : 'Log in'}
          </button>
          <p className="muted small" style={{ margin: 0 }}>
            {signup ? (
              <>
                Already have an account? <Link to="/login">Log in</Link>
              </>
            ) : (
              <>
                New to Nudgeflow? <Link to="/signup">Create an account</Link>
              </>
            )}
          </p>
        </form>
      </div>
    </main>
  );
}
