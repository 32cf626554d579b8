// Copies the non-TypeScript files the compiled code reads at run time (Lua scripts) into dist/.
import { cpSync } from 'node:fs';

cpSync('src/store/lua', 'dist/src/store/lua', { recursive: true });
