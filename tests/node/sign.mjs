// Signs Telegram Mini App initData with @telegram-apps/init-data-node, an implementation independent of ours, for
// tests/it/miniapp.rs. Usage: node sign.mjs '<json {data, token, auth_date_s}>'; prints the query string.
import { sign } from '@telegram-apps/init-data-node';

const { data, token, auth_date_s } = JSON.parse(process.argv[2]);
process.stdout.write(sign(data, token, new Date(auth_date_s * 1000)));
