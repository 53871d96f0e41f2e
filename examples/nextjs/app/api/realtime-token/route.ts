import { currentUser } from '@/lib/session';
import { tokenMinter } from '@/lib/realtime-tokens';

/** A fresh connect token (60 s) for the signed-in user; the client asks before every connection. */
export async function GET(): Promise<Response> {
  const user = await currentUser();
  if (!user) return Response.json({ error: 'not signed in' }, { status: 401 });
  const token = await tokenMinter().mint({ sub: user.id, userType: user.userType, customerId: user.customerId });
  return Response.json({ token }, { headers: { 'Cache-Control': 'no-store' } });
}
