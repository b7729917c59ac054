import { text } from '../parse.js';
import { setting } from './setting.js';

/** The settings of where the token comes from (section `transport`): rows of SETTINGS (see settings.ts). */
export const TRANSPORT_SETTINGS = {
  authScheme: setting({
    env: 'JWT_AUTH_SCHEME',
    option: 'authScheme',
    parse: text(),
    section: 'transport',
    default: 'Bearer',
    demo: 'Bearer',
    doc: 'authorization scheme accepted in the `Authorization` header (case-insensitive) and named by every challenge, e.g. `JWT` (Flask-JWT clients)',
  }),
  cookieName: setting({
    env: 'JWT_COOKIE_NAME',
    option: 'cookieName',
    parse: text(),
    section: 'transport',
    defaultDoc: 'none: cookies are not read',
    example: 'access_token',
    doc: 'also read the token from this cookie when the header carries none; a cookie needs CSRF protection (see [Security notes](security.md#security-notes))',
  }),
};
