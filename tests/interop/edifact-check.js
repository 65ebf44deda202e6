#!/usr/bin/env node
'use strict';
// edifact-check.js FILE — check one outbound UN/EDIFACT file with the `edifact` npm package
// (its Reader: the Parser with the package's Validator, syntax level from UNB) and its
// Tracker (segment order against a segment table), plus envelope and count checks of our
// own; print the parser's line, the structure (interchanges, each UNH with its message
// type and segment count) and the verdict. Exit 0 only when the package accepted the file
// and every check passed; 1 otherwise; 2 on a usage or I/O error. See doc/interop.md.
//
// Segment tables: the package ships tables for some message types without saying which
// directory they are (its DESADV is not D96A's). The order is checked with the Tracker
// over edigw's own table for the message's directory (maps/schemas/edifact/DIR/TYPE.def,
// or $EDIGW_EDIFACT_SCHEMAS); the package's own table is run too and only reported.

const fs = require('fs');
const path = require('path');
const edifact = require('edifact');
const { Findings, isDate6, isDate8, isTime, readOrExit, errText, show } = require('./lib.js');

const PROG = 'edifact-check';
const SCHEMAS = process.env.EDIGW_EDIFACT_SCHEMAS || path.join(__dirname, '..', '..', 'maps', 'schemas', 'edifact');
const PACKAGE_TABLES = path.join(path.dirname(require.resolve('edifact')), 'messages');

// Syntax identifiers whose data is UTF-8 (ISO 10646 with UTF-8); the others are single-byte.
const UTF8_LEVELS = new Set(['UNOW', 'UNOY']);

// Read an edigw message definition (.def) into a Tracker table; null if it has no such file.
// Returns { table, accepts } or throws on a line it does not understand.
function loadDef(file) {
	let text;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (e) {
		return null;
	}
	const root = [], stack = [root], accepts = [];
	text.split('\n').forEach((line, i) => {
		const s = line.replace(/#.*/, '').trim();
		if (s === '' || /^(message|key) /.test(s))
			return;
		let m;
		if ((m = /^accept (.+)$/.exec(s))) {
			accepts.push(...m[1].split(/\s+/));
		} else if ((m = /^([A-Z]{3}) ([MC]) (\d+)$/.exec(s))) {
			stack[stack.length - 1].push({ content: m[1], mandatory: m[2] === 'M', repetition: +m[3] });
		} else if ((m = /^loop \S+ ([MC]) (\d+)$/.exec(s))) {
			const group = { content: [], mandatory: m[1] === 'M', repetition: +m[2] };
			stack[stack.length - 1].push(group);
			stack.push(group.content);
		} else if (s === 'end' && stack.length > 1) {
			stack.pop();
		} else {
			throw new Error(`${file}:${i + 1}: not understood: ${s}`);
		}
	});
	return { table: root, accepts };
}

// Find edigw's table for TYPE in directory D+RELEASE (or a directory whose TYPE accepts
// VERSION:RELEASE); return { table, where } or null.
function findTable(type, version, release) {
	if (!/^[A-Z]{6}$/.test(type))
		return null;
	const dir = `${version}${release}`.toUpperCase();
	if (/^[A-Z0-9]{1,8}$/.test(dir)) {
		const def = loadDef(path.join(SCHEMAS, dir, `${type}.def`));
		if (def)
			return { table: def.table, where: `${dir}/${type}.def` };
	}
	let dirs = [];
	try {
		dirs = fs.readdirSync(SCHEMAS).sort();
	} catch (e) {
		return null;
	}
	for (const d of dirs) {
		const def = loadDef(path.join(SCHEMAS, d, `${type}.def`));
		if (def && def.accepts.includes(`${version}:${release}`))
			return { table: def.table, where: `${d}/${type}.def (accepts ${version}:${release})` };
	}
	return null;
}

// Numeric data elements the package's definitions (a later directory) take as an..35:
// segment, element and component index (0-based), data element number.
const NUMERIC = [['QTY', 0, 1, '6060'], ['MOA', 0, 1, '5004'], ['CNT', 0, 1, '6066']];

// The formats of the data elements in NUMERIC for directory DIR from edigw's elements.def:
// { '6060': { numeric, max } }, or null without that file.
function numericFormats(dir) {
	let text;
	try {
		text = fs.readFileSync(path.join(SCHEMAS, dir, 'elements.def'), 'utf8');
	} catch (e) {
		return null;
	}
	const formats = {};
	for (const [, , , de] of NUMERIC) {
		const m = new RegExp(`^element ${de} (an|a|n)(\\.\\.)?(\\d+)`, 'm').exec(text);
		if (m)
			formats[de] = { numeric: m[1] === 'n', max: +m[3] };
	}
	return formats;
}

// Check the numeric data elements of NUMERIC in the segments of one message (DM: decimal mark).
function checkNumeric(label, segs, formats, dm, f) {
	const re = new RegExp(`^-?(\\d*)(?:${dm.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d*))?$`);
	for (const s of segs) {
		for (const [tag, e, c, de] of NUMERIC) {
			const fmt = formats[de];
			if (s.name !== tag || !fmt || !fmt.numeric)
				continue;
			const v = val(s, e, c);
			const m = re.exec(v);
			f.check(v === '' || (m !== null && (m[1] + (m[2] || '')).length >= 1 && (m[1] + (m[2] || '')).length <= fmt.max),
				`${label}: ${tag} ${de} ${show(v)} is not numeric n..${fmt.max} (decimal mark ${show(dm)})`);
		}
	}
}

// Run the package's Tracker over the segment names of one message; return null or the error.
function track(table, names) {
	const tracker = new edifact.Tracker(table);
	for (let i = 0; i < names.length; i++) {
		try {
			tracker.accept(names[i]);
		} catch (e) {
			return `${errText(e)} (at ${names[i]}, segment ${i + 1} of the message)`;
		}
	}
	return null;
}

// Syntax identifier and separators from the head of the raw text, for decoding.
function sniff(latin) {
	let des = '+', cds = ':', st = "'", rc = '?', dm = '.', body = latin;
	if (latin.startsWith('UNA') && latin.length >= 9) {
		cds = latin[3];
		des = latin[4];
		dm = latin[5];
		rc = latin[6];
		st = latin[8];
		body = latin.slice(9).replace(/^[\r\n]+/, '');
	}
	let level = null;
	if (body.startsWith(`UNB${des}`)) {
		const rest = body.slice(4);
		const end = rest.search(new RegExp(`[${['\\' + cds, '\\' + des, '\\' + st].join('')}]`));
		level = end < 0 ? rest : rest.slice(0, end);
	}
	return { level, des, cds, st, rc, dm };
}

// The value of component C (0-based) of element E (0-based) of SEG, or ''.
function val(seg, e, c) {
	const el = seg.elements[e];
	return el && el[c || 0] !== undefined ? el[c || 0] : '';
}

// Check the envelope of the Reader's segments; push the structure to OUT and return the
// messages found as [{ unh, segs }].
function checkEnvelope(segs, f, out) {
	const messages = [];
	let unb = null, ung = null, msg = null, groups = 0, inGroup = 0, nUnb = 0, seenRefs = null;
	const refs = new Set();
	segs.forEach((s, i) => {
		const where = `segment ${i + 1} (${s.name})`;
		if (msg !== null && s.name !== 'UNH' && s.name !== 'UNZ' && s.name !== 'UNB')
			msg.segs.push(s);
		switch (s.name) {
		case 'UNB': {
			f.check(unb === null, `${where}: UNB inside interchange ${unb && val(unb, 4)}, which has no UNZ`);
			unb = s;
			nUnb += 1;
			groups = 0;
			seenRefs = new Set();
			const level = val(s, 0, 0), syntax = val(s, 0, 1), date = val(s, 3, 0), time = val(s, 3, 1), ref = val(s, 4);
			f.check(/^UNO[A-Z]$/.test(level), `UNB: syntax identifier ${show(level)} is not UNOx`);
			f.check(/^[1-4]$/.test(syntax), `UNB: syntax version ${show(syntax)} is not 1 to 4`);
			f.check(/^.{1,35}$/.test(val(s, 1)) && /^.{1,35}$/.test(val(s, 2)), 'UNB: sender or recipient identification empty or over 35 characters');
			f.check(syntax === '4' ? isDate8(date) : isDate6(date), `UNB: date ${show(date)} is not ${syntax === '4' ? 'CCYYMMDD' : 'YYMMDD'}`);
			f.check(isTime(time, false), `UNB: time ${show(time)} is not HHMM`);
			f.check(/^.{1,14}$/.test(ref), `UNB: control reference ${show(ref)} is not 1 to 14 characters`);
			f.check(!refs.has(ref), `UNB: control reference ${ref} used twice in the file`);
			refs.add(ref);
			out.push(`  UNB ${ref} ${level}:${syntax} ${val(s, 1)}${val(s, 1, 1) ? ':' + val(s, 1, 1) : ''} -> ${val(s, 2)}${val(s, 2, 1) ? ':' + val(s, 2, 1) : ''} (${date}:${time})`);
			break;
		}
		case 'UNZ': {
			f.check(unb !== null, `${where}: UNZ outside an interchange`);
			f.check(msg === null, () => `${where}: UNZ while message ${val(msg.unh, 0)} has no UNT`);
			f.check(ung === null, `${where}: UNZ while a group has no UNE`);
			if (unb) {
				const count = val(s, 0), ref = val(s, 1);
				const want = groups > 0 ? groups : unb.messages || 0;
				f.check(ref === val(unb, 4), `UNZ: control reference ${show(ref)} is not UNB's ${val(unb, 4)}`);
				f.check(/^\d{1,6}$/.test(count) && +count === want,
					`UNZ: count is ${show(count)}, the interchange has ${want} ${groups > 0 ? 'group(s)' : 'message(s)'}`);
				out.push(`  UNZ ${count}`);
			}
			unb = msg = ung = null;
			break;
		}
		case 'UNG':
			f.check(unb !== null && msg === null && ung === null, `${where}: UNG out of place`);
			ung = s;
			groups += 1;
			inGroup = 0;
			break;
		case 'UNE':
			if (f.check(ung !== null && msg === null, `${where}: UNE out of place`)) {
				f.check(+val(s, 0) === inGroup, `UNE: count ${show(val(s, 0))}, the group has ${inGroup} message(s)`);
				f.check(val(s, 1) === val(ung, 4), `UNE: reference ${show(val(s, 1))} is not UNG's ${show(val(ung, 4))}`);
			}
			ung = null;
			break;
		case 'UNH': {
			f.check(unb !== null, `${where}: UNH outside an interchange`);
			f.check(msg === null, () => `${where}: UNH inside message ${val(msg.unh, 0)}, which has no UNT`);
			const ref = val(s, 0), type = val(s, 1, 0);
			f.check(/^.{1,14}$/.test(ref), `UNH: message reference ${show(ref)} is not 1 to 14 characters`);
			f.check(/^[A-Z]{6}$/.test(type), `UNH ${ref}: message type ${show(type)} is not six letters`);
			f.check(val(s, 1, 1) !== '' && val(s, 1, 2) !== '' && val(s, 1, 3) !== '',
				`UNH ${ref}: message identifier ${show((s.elements[1] || []).join(':'))} lacks version, release or agency`);
			if (seenRefs)
				f.check(!seenRefs.has(ref), `UNH ${ref}: message reference used twice in the interchange`);
			if (seenRefs)
				seenRefs.add(ref);
			msg = { unh: s, segs: [s], unt: null };
			messages.push(msg);
			if (unb)
				unb.messages = (unb.messages || 0) + 1;
			inGroup += 1;
			break;
		}
		case 'UNT': {
			if (!f.check(msg !== null, `${where}: UNT outside a message`))
				break;
			msg.unt = s;
			const count = val(s, 0), ref = val(s, 1), have = msg.segs.length;
			f.check(/^\d{1,6}$/.test(count) && +count === have,
				`UNH ${val(msg.unh, 0)}: UNT count is ${show(count)}, the message has ${have} segments (UNH to UNT)`);
			f.check(ref === val(msg.unh, 0), `UNH ${val(msg.unh, 0)}: UNT reference ${show(ref)} differs`);
			out.push(`    UNH ${val(msg.unh, 0)} ${(msg.unh.elements[1] || []).join(':')}: ${have} segments, UNT ${count}`);
			msg = null;
			break;
		}
		default:
			f.check(msg !== null, `${where}: outside a message`);
		}
	});
	if (msg !== null)
		f.fail(`message ${val(msg.unh, 0)} has no UNT (file truncated?)`);
	if (unb !== null)
		f.fail(`interchange ${val(unb, 4)} has no UNZ (file truncated?)`);
	f.check(nUnb > 0, 'no UNB in the file');
	return messages;
}

// Raw checks the package does not make: what may stand outside segments, control characters.
function checkRaw(text, sep, f) {
	f.check(/^UN[AB]/.test(text), () => `the file does not start with UNA or UNB (starts with ${show(text.slice(0, 8))})`);
	if (text.startsWith('UNA')) {
		const una = text.slice(3, 9);
		f.check(una.length === 6 && una[4] === ' ' ? new Set([una[0], una[1], una[2], una[3], una[5]]).size === 5
			: new Set(una).size === 6, `UNA ${show(una)}: separators not distinct`);
	}
	// Line breaks only right after a segment terminator (the package drops them anywhere).
	const re = /[\r\n]/g;
	let m;
	while ((m = re.exec(text)) !== null) {
		const i = m.index;
		const prev = text[i - 1];
		const ok = i > 0 && (prev === sep.st || (m[0] === '\n' && prev === '\r' && text[i - 2] === sep.st)) && text[i - 2] !== sep.rc;
		if (!f.check(ok, `a line break at offset ${i} is not right after a segment terminator (the package silently drops it)`))
			break;
	}
	const ctl = /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]/.exec(text.replace(/[\r\n]/g, ''));
	f.check(ctl === null, () => `control character ${show(ctl[0])} in the data (the package drops NUL silently)`);
	const trimmed = text.replace(/[\r\n]+$/, '');
	f.check(trimmed.endsWith(sep.st) && !trimmed.endsWith(sep.rc + sep.st), 'the file does not end with a segment terminator (truncated?)');
}

function main() {
	const file = process.argv[2];
	if (!file || process.argv.length !== 3) {
		process.stdout.write(`usage: ${PROG} FILE\n`);
		return 2;
	}
	const buf = readOrExit(file, PROG);
	const latin = buf.toString('latin1');
	const f = new Findings();
	const out = [`${file}:`];
	const sep = sniff(latin);

	// Decode as the syntax identifier says: UTF-8 for UNOY/UNOW, one byte a character else.
	let text = latin;
	if (sep.level && UTF8_LEVELS.has(sep.level)) {
		try {
			text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
		} catch (e) {
			f.fail(`${sep.level} declared but the file is not valid UTF-8`);
		}
	} else if (/[\xc2-\xf4][\x80-\xbf]/.test(latin)) {
		let utf8 = false;
		try {
			new TextDecoder('utf-8', { fatal: true }).decode(buf);
			utf8 = true;
		} catch (e) { /* not UTF-8: a single-byte file, as declared */ }
		f.check(!utf8, `${sep.level || 'the syntax identifier'} declares a single-byte character set but the data is UTF-8`);
	}

	// The package: Reader = Parser + Validator (segments.js, elements.js), encoding from UNB.
	let segs = null;
	try {
		segs = new edifact.Reader({ autoDetectEncoding: true }).parse(text);
	} catch (e) {
		f.fail(`edifact rejected the file: ${errText(e)}`);
		out.push(`edifact: ERROR ${errText(e)}`);
	}
	checkRaw(text, sep, f);
	if (segs === null) {
		const rc = f.finish(out);
		process.stdout.write(out.join('\n') + '\n');
		return rc;
	}
	const nMsg = segs.filter(s => s.name === 'UNH').length;
	out.push(`edifact: OK (${segs.length} segments, ${nMsg} messages)`);
	const pos = out.length;
	out.push('structure:');
	const messages = checkEnvelope(segs, f, out);

	// Segment order: the package's Tracker over edigw's table of the message's directory.
	const tracked = [];
	for (const m of messages) {
		if (!m.unt)
			continue;
		const id = m.unh.elements[1] || [];
		const type = id[0] || '', label = `UNH ${val(m.unh, 0)} ${type}:${id[1] || ''}:${id[2] || ''}`;
		const names = m.segs.map(s => s.name);
		let found = null;
		try {
			found = findTable(type, id[1] || '', id[2] || '');
		} catch (e) {
			f.fail(`${label}: ${errText(e)}`);
			continue;
		}
		if (found === null) {
			f.note(`${label}: no segment table for it in ${SCHEMAS}: segment order not checked`);
		} else {
			const err = track(found.table, names);
			f.check(err === null, `${label}: the Tracker rejects the segment order with ${found.where}: ${err}`);
			tracked.push({ where: found.where, ok: err === null });
		}
		const formats = numericFormats(`${id[1] || ''}${id[2] || ''}`.toUpperCase().replace(/[^A-Z0-9]/g, ''));
		if (formats)
			checkNumeric(label, m.segs, formats, sep.dm, f);
		const own = path.join(PACKAGE_TABLES, `${type}.json`);
		if (/^[A-Z]{6}$/.test(type) && fs.existsSync(own)) {
			const err = track(JSON.parse(fs.readFileSync(own, 'utf8')), names);
			if (err !== null)
				f.note(`${label}: the package's own ${type} table (directory not stated) rejects it: ${err}`);
		}
	}
	const tables = [...new Set(tracked.map(t => t.where))].join(', ');
	const bad = tracked.filter(t => !t.ok).length;
	out.splice(pos, 0, tracked.length === 0 ? 'edifact Tracker: no message checked (no segment table)'
		: bad > 0 ? `edifact Tracker: REJECTED ${bad} of ${tracked.length} message(s) (edigw's ${tables})`
			: `edifact Tracker: OK (${tracked.length} message(s) in the order of edigw's ${tables})`);
	const rc = f.finish(out);
	process.stdout.write(out.join('\n') + '\n');
	return rc;
}

try {
	process.exitCode = main();
} catch (e) {
	process.stdout.write(`${PROG}: internal error: ${e && e.stack ? e.stack : e}\n`);
	process.exitCode = 2;
}
