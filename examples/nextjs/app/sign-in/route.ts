import { NextResponse, type NextRequest } from 'next/server';
import { SESSION_COOKIE, userFromSession } from '@/lib/session';

/** `/sign-in?as=admin` or `/sign-in?as=<customer id>`: the example's stand-in for a login. */
export async function GET(request: NextRequest): Promise<Response> {
  const as = request.nextUrl.searchParams.get('as') ?? '';
  if (!userFromSession(as)) return Response.json({ error: 'as must be admin or a customer id' }, { status: 400 });
  // A relative Location: behind a proxy or on 127.0.0.1, request.url may name another host.
  const response = new NextResponse(null, { status: 303, headers: { Location: '/' } });
  response.cookies.set(SESSION_COOKIE, as, { path: '/', httpOnly: true, sameSite: 'lax' });
  return response;
}
