'use strict';
// lib.js — helpers shared by x12-check.js and edifact-check.js: the findings list, date and
// time checks, reading the file. The checks print to stdout; the exit code is the verdict
// (0 every parser accepted and every check passed, 1 a parser or a check rejected the file,
// 2 usage or I/O error).

const fs = require('fs');

// Findings of one run: failures decide the exit code, notes are printed only.
class Findings {
	constructor() {
		this.failures = [];
		this.notes = [];
		this.checks = 0;
	}

	// Count one check; record MSG as a failure when OK is false. Returns OK.
	check(ok, msg) {
		this.checks += 1;
		if (!ok)
			this.failures.push(typeof msg === 'function' ? msg() : msg);
		return ok;
	}

	// Record a failure that is not the outcome of a counted check (a parser's refusal).
	fail(msg) {
		this.failures.push(msg);
	}

	// Record something worth knowing that does not fail the file.
	note(msg) {
		this.notes.push(msg);
	}

	// Print the notes and the verdict; return the exit code.
	finish(out) {
		for (const n of this.notes)
			out.push(`note: ${n}`);
		if (this.failures.length === 0) {
			out.push(`checks: OK (${this.checks} passed)`);
			return 0;
		}
		out.push(`checks: FAILED (${this.failures.length} problem(s))`);
		for (const f of this.failures)
			out.push(`  - ${f}`);
		return 1;
	}
}

// Days in MONTH (1-12) of the four-digit YEAR.
function daysInMonth(year, month) {
	return [31, (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28,
		31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

// True when S is a valid CCYYMMDD date.
function isDate8(s) {
	if (!/^\d{8}$/.test(s))
		return false;
	const y = +s.slice(0, 4), m = +s.slice(4, 6), d = +s.slice(6, 8);
	return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

// True when S is a valid YYMMDD date (century taken as 20, which only matters for 29 Feb 2000).
function isDate6(s) {
	return /^\d{6}$/.test(s) && isDate8('20' + s);
}

// True when S is HHMM, or with SECONDS allowed HHMM[SS[d..]] (X12 GS05: HHMM, HHMMSS,
// HHMMSSD, HHMMSSDD).
function isTime(s, seconds) {
	const re = seconds ? /^(\d{2})(\d{2})(?:(\d{2})\d{0,2})?$/ : /^(\d{2})(\d{2})$/;
	const m = re.exec(s);
	return m !== null && +m[1] <= 23 && +m[2] <= 59 && (m[3] === undefined || +m[3] <= 59);
}

// Read FILE whole, or print the error and exit 2.
function readOrExit(file, prog) {
	try {
		return fs.readFileSync(file);
	} catch (e) {
		process.stdout.write(`${prog}: cannot read ${file}: ${e.message}\n`);
		process.exit(2);
	}
}

// The message of an exception, on one line.
function errText(e) {
	const m = e && e.message ? e.message : String(e);
	return m.replace(/\s+/g, ' ').trim();
}

// Printable form of a character or string (separators may be control characters).
function show(s) {
	return JSON.stringify(s);
}

module.exports = { Findings, isDate6, isDate8, isTime, readOrExit, errText, show };
