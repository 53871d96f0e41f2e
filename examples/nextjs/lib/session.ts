import 'server-only';
import { cookies } from 'next/headers';

/** The signed-in user, as your auth library would give it. */
export interface User {
  id: string;
  userType: 'ADMIN' | 'CUSTOMER';
  customerId?: string;
}

/** The example's stand-in for a session: a cookie `/sign-in?as=…` sets. Use your auth instead. */
export const SESSION_COOKIE = 'example-user';
const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** The user of this request, or `undefined` when nobody is signed in. */
export async function currentUser(): Promise<User | undefined> {
  return userFromSession((await cookies()).get(SESSION_COOKIE)?.value);
}

/** `admin`, or a customer id (a user of that customer's portal). */
export function userFromSession(value: string | undefined): User | undefined {
  if (value === 'admin') return { id: 'example-admin', userType: 'ADMIN' };
  if (value && CUSTOMER_ID.test(value)) return { id: `user-of-${value}`, userType: 'CUSTOMER', customerId: value };
  return undefined;
}
