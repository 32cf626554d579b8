// Copies the non-TypeScript files the compiled code reads at run time into dist/:
// the Lua scripts and the dashboard's static files.
import { cpSync } from 'node:fs';

cpSync('src/store/lua', 'dist/src/store/lua', { recursive: true });
cpSync('src/api/dashboard', 'dist/src/api/dashboard', { recursive: true });
