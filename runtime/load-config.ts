import { config as loadDotenv } from 'dotenv';
import { loadConfig, type Config } from '../core/config.ts';

/** Reads `.env` (when present; real env wins) and validates the whole environment. */
export function configFromEnvironment(): Config {
  loadDotenv({ quiet: true });
  return loadConfig(process.env);
}
