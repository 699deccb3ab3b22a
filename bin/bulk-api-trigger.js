#!/usr/bin/env node
// The CLI is TypeScript run through tsx, so there is no build step between a change and its use.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
