// What CloudFront Functions' JavaScript runtime 2.0 accepts, checked on the source before it is deployed:
// Node.js runs far more JavaScript than CloudFront does, so passing the behaviour tests proves nothing about
// the runtime. Everything allowed here is taken from AWS's documentation:
//   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html
//     (the features, built-ins, globals and modules runtime 2.0 has, and its restricted features)
//   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html
//     (the KeyValueStore module, and the memory warning against promise combinators and chains)
//   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html#limits-functions
//     (maximum function size 10 KB)
// The lists are allow-lists: a syntax, global or member the pages do not name is refused, even where
// CloudFront might in fact accept it. What cannot be known without running the code (the methods of a value
// whose type is only known at run time) is left to the behaviour tests.
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
import * as eslintScope from 'eslint-scope';

// "10 KB": taken as 10,000 bytes, the smaller reading, so a file that passes here never fails to deploy.
export const MAX_FUNCTION_BYTES = 10_000;

// Syntax runtime 2.0 lists: ES 5.1 statements and expressions, const/let, async/await, arrow functions, rest
// parameters, template literals, the ** operator. Any other ESTree node type is refused.
const ALLOWED_NODES = new Set([
    'Program', 'ImportDeclaration', 'ImportDefaultSpecifier', 'Identifier', 'Literal', 'VariableDeclaration',
    'VariableDeclarator', 'FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'RestElement',
    'BlockStatement', 'ExpressionStatement', 'EmptyStatement', 'IfStatement', 'ForStatement', 'ForInStatement',
    'WhileStatement', 'DoWhileStatement', 'BreakStatement', 'ContinueStatement', 'ReturnStatement',
    'ThrowStatement', 'TryStatement', 'CatchClause', 'SwitchStatement', 'SwitchCase', 'LabeledStatement',
    'TemplateLiteral', 'TemplateElement', 'ArrayExpression', 'ObjectExpression', 'Property', 'ThisExpression',
    'UnaryExpression', 'UpdateExpression', 'BinaryExpression', 'LogicalExpression', 'AssignmentExpression',
    'ConditionalExpression', 'CallExpression', 'NewExpression', 'MemberExpression', 'SequenceExpression',
    'AwaitExpression',
]);
const NODE_NAMES = {
    ClassDeclaration: 'classes', ClassExpression: 'classes', MethodDefinition: 'classes',
    PropertyDefinition: 'classes', StaticBlock: 'classes', PrivateIdentifier: 'classes', Super: 'classes',
    YieldExpression: 'generators', ForOfStatement: 'for...of', SpreadElement: 'spread syntax',
    ObjectPattern: 'destructuring', ArrayPattern: 'destructuring', AssignmentPattern: 'default values',
    ChainExpression: 'optional chaining', ImportExpression: 'dynamic import()', MetaProperty: 'new.target and import.meta',
    TaggedTemplateExpression: 'tagged templates', ExportNamedDeclaration: 'export', ExportDefaultDeclaration: 'export',
    ExportAllDeclaration: 'export', ImportSpecifier: 'named imports', ImportNamespaceSpecifier: 'namespace imports',
    DebuggerStatement: 'debugger',
};
const ALLOWED_LOGICAL = new Set(['&&', '||']); // not ?? (ES 2020)
const REFUSED_ASSIGNMENTS = new Set(['&&=', '||=', '??=']); // ES 2021
const ALLOWED_REGEX_FLAGS = /^[gimy]*$/; // ES 5.1's g, i, m, and the sticky flag runtime 2.0 added

// The only modules, each imported by default as `import <name> from '<module>';` on a line of its own (the
// form edge/function_loader.mjs adapts for Node.js).
const MODULE_MEMBERS = { cloudfront: new Set(['kvs']), crypto: new Set(['createHash', 'createHmac']) };
const IMPORT_LINE = /^import [A-Za-z_$][\w$]* from '(cloudfront|crypto)';$/;
const CRYPTO_ALGORITHMS = new Set(['md5', 'sha1', 'sha256']);
const DIGEST_ENCODINGS = new Set(['hex', 'base64', 'base64url']);

const TYPED_ARRAY_STATICS = new Set(['from', 'of', 'prototype', 'BYTES_PER_ELEMENT']);
// Globals the page lists, with the static members it lists for them (null: the page lists none to check).
const GLOBALS = {
    Object: new Set(['create', 'defineProperties', 'defineProperty', 'freeze', 'getOwnPropertyDescriptor',
        'getOwnPropertyDescriptors', 'getOwnPropertyNames', 'getPrototypeOf', 'isExtensible', 'isFrozen',
        'isSealed', 'keys', 'preventExtensions', 'seal', 'assign', 'entries', 'values', 'is', 'setPrototypeOf',
        'prototype']),
    String: new Set(['fromCharCode', 'fromCodePoint', 'prototype']),
    Number: new Set(['EPSILON', 'MAX_SAFE_INTEGER', 'MIN_SAFE_INTEGER', 'MAX_VALUE', 'MIN_VALUE', 'NaN',
        'NEGATIVE_INFINITY', 'POSITIVE_INFINITY', 'isFinite', 'isInteger', 'isNaN', 'isSafeInteger', 'parseInt',
        'parseFloat', 'prototype']),
    Math: new Set(['E', 'LN10', 'LN2', 'LOG10E', 'LOG2E', 'PI', 'SQRT1_2', 'SQRT2', 'abs', 'acos', 'acosh',
        'asin', 'asinh', 'atan', 'atan2', 'atanh', 'cbrt', 'ceil', 'clz32', 'cos', 'cosh', 'exp', 'expm1',
        'floor', 'fround', 'hypot', 'imul', 'log', 'log1p', 'log2', 'log10', 'max', 'min', 'pow', 'random',
        'round', 'sign', 'sinh', 'sin', 'sqrt', 'tan', 'tanh', 'trunc']),
    Date: new Set(['now', 'parse', 'UTC', 'prototype']),
    RegExp: new Set(['prototype']),
    JSON: new Set(['parse', 'stringify']),
    Array: new Set(['isArray', 'of', 'prototype']),
    // all, allSettled, any and race exist, but AWS warns they can exceed the function's memory (COMBINATORS).
    Promise: new Set(['reject', 'resolve', 'prototype']),
    Symbol: new Set(['for', 'keyFor']),
    ArrayBuffer: new Set(['isView', 'prototype']),
    DataView: new Set(['prototype']),
    Float32Array: TYPED_ARRAY_STATICS, Float64Array: TYPED_ARRAY_STATICS, Int8Array: TYPED_ARRAY_STATICS,
    Int16Array: TYPED_ARRAY_STATICS, Int32Array: TYPED_ARRAY_STATICS, Uint8Array: TYPED_ARRAY_STATICS,
    Uint8ClampedArray: TYPED_ARRAY_STATICS, Uint16Array: TYPED_ARRAY_STATICS, Uint32Array: TYPED_ARRAY_STATICS,
    Buffer: new Set(['alloc', 'allocUnsafe', 'byteLength', 'compare', 'concat', 'from', 'isBuffer', 'isEncoding']),
    TextDecoder: new Set(['prototype']),
    TextEncoder: new Set(['prototype']),
    console: new Set(['log']),
    Error: null, EvalError: null, InternalError: null, RangeError: null, ReferenceError: null,
    SyntaxError: null, TypeError: null, URIError: null,
    decodeURI: null, decodeURIComponent: null, encodeURI: null, encodeURIComponent: null, isFinite: null,
    isNaN: null, parseFloat: null, parseInt: null, atob: null, btoa: null, NaN: null, Infinity: null,
    undefined: null,
};
const COMBINATORS = new Set(['all', 'allSettled', 'any', 'race']);
// Member names refused on any value: promise chains (the memory warning), and the string methods runtime 2.0
// removed.
const REFUSED_MEMBERS = {
    then: 'promise chains (.then) can exceed the function memory; use await',
    catch: 'promise chains (.catch) can exceed the function memory; use try/catch around await',
    finally: 'promise chains (.finally) can exceed the function memory; use try/finally around await',
    bytesFrom: 'String.prototype.bytesFrom is not in runtime 2.0',
    fromBytes: 'String.prototype.fromBytes is not in runtime 2.0',
    fromUTF8: 'String.prototype.fromUTF8 is not in runtime 2.0',
    toBytes: 'String.prototype.toBytes is not in runtime 2.0',
    toUTF8: 'String.prototype.toUTF8 is not in runtime 2.0',
};

/** The problems that keep `source` from running on CloudFront Functions runtime 2.0: [{ line, message }]. */
export function checkFunctionSource(source) {
    const problems = [];
    const report = (node, message) => problems.push({ line: node ? node.loc.start.line : 1, message });
    const bytes = Buffer.byteLength(source, 'utf8');
    if (bytes > MAX_FUNCTION_BYTES) {
        report(null, `the source is ${bytes} bytes; CloudFront's limit is ${MAX_FUNCTION_BYTES}`);
    }
    let ast;
    try {
        ast = acorn.parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true, ranges: true });
    } catch (error) {
        report(null, `it does not parse: ${error.message}`);
        return problems;
    }
    checkSyntax(ast, report);
    checkImports(ast, source, report);
    checkNames(ast, report);
    if (!ast.body.some((node) => node.type === 'FunctionDeclaration' && node.id.name === 'handler')) {
        report(null, 'no top-level function handler(event)');
    }
    return problems.sort((a, b) => a.line - b.line);
}

function checkSyntax(ast, report) {
    walk.fullAncestor(ast, (node, state, ancestors) => {
        if (!ALLOWED_NODES.has(node.type)) {
            report(node, `not in runtime 2.0: ${NODE_NAMES[node.type] || node.type}`);
            return;
        }
        const parent = ancestors[ancestors.length - 2];
        const enclosing = ancestors.slice(0, -1).reverse().find(isFunction);
        if (isFunction(node) && node.generator) {
            report(node, 'generators are not in runtime 2.0');
        }
        // "async arguments and closures are not supported": an async function is a top-level declaration.
        if (isFunction(node) && node.async && !(node.type === 'FunctionDeclaration' && parent.type === 'Program')) {
            report(node, 'async closures are not in runtime 2.0 (declare async functions at the top level)');
        }
        if (node.type === 'Identifier' && node.name === 'arguments' && enclosingNonArrow(ancestors)?.async) {
            report(node, 'arguments inside an async function is not in runtime 2.0');
        }
        if (node.type === 'AwaitExpression' && enclosing === undefined) {
            report(node, 'top-level await is not in runtime 2.0');
        }
        if (node.type === 'LogicalExpression' && !ALLOWED_LOGICAL.has(node.operator)) {
            report(node, `the ${node.operator} operator is not in runtime 2.0`);
        }
        if (node.type === 'AssignmentExpression' && REFUSED_ASSIGNMENTS.has(node.operator)) {
            report(node, `the ${node.operator} operator is not in runtime 2.0`);
        }
        if (node.type === 'Property' && (node.method || node.shorthand || node.computed)) {
            report(node, 'shorthand, method and computed properties are not in runtime 2.0');
        }
        if (node.type === 'CatchClause' && node.param === null) {
            report(node, 'catch without a binding is not in runtime 2.0');
        }
        if (node.type === 'Literal' && node.bigint !== undefined) {
            report(node, 'BigInt is not in runtime 2.0');
        }
        if (node.type === 'Literal' && node.regex && !ALLOWED_REGEX_FLAGS.test(node.regex.flags)) {
            report(node, `regular expression flags ${node.regex.flags} are not in runtime 2.0`);
        }
        if (node.type === 'MemberExpression' && !node.computed && REFUSED_MEMBERS[node.property.name]) {
            report(node, REFUSED_MEMBERS[node.property.name]);
        }
        if (node.type === 'CallExpression') {
            checkCall(node, report);
        }
    });
}

function isFunction(node) {
    return ['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression'].includes(node.type);
}

function enclosingNonArrow(ancestors) {
    return ancestors.slice(0, -1).reverse().find((node) => isFunction(node) && node.type !== 'ArrowFunctionExpression');
}

function checkCall(node, report) {
    const callee = node.callee;
    if (callee.type !== 'MemberExpression' || callee.computed) {
        return;
    }
    const first = node.arguments[0];
    const literal = first && first.type === 'Literal' && typeof first.value === 'string' ? first.value : null;
    const method = callee.property.name;
    if ((method === 'createHmac' || method === 'createHash') && literal !== null && !CRYPTO_ALGORITHMS.has(literal)) {
        report(node, `crypto has no algorithm ${literal} in runtime 2.0 (md5, sha1, sha256)`);
    }
    if (method === 'digest' && literal !== null && !DIGEST_ENCODINGS.has(literal)) {
        report(node, `digest encoding ${literal} is not in runtime 2.0 (hex, base64, base64url)`);
    }
    if (callee.object.type === 'Identifier' && callee.object.name === 'console' && node.arguments.length !== 1) {
        report(node, 'console.log takes exactly one argument in runtime 2.0');
    }
}

function checkImports(ast, source, report) {
    const seen = new Set();
    let statementsBefore = 0;
    for (const node of ast.body) {
        if (node.type !== 'ImportDeclaration') {
            statementsBefore += 1;
            continue;
        }
        const lineStart = source.lastIndexOf('\n', node.start - 1) + 1;
        const lineEnd = source.indexOf('\n', node.end);
        const line = source.slice(lineStart, lineEnd === -1 ? source.length : lineEnd);
        const module = node.source.value;
        if (!Object.hasOwn(MODULE_MEMBERS, module)) {
            report(node, `runtime 2.0 has no module ${module} (only cloudfront and crypto)`);
        } else if (!IMPORT_LINE.test(line)) {
            report(node, `write the import as a line of its own: import <name> from '${module}';`);
        } else if (seen.has(module)) {
            report(node, `${module} is imported twice`);
        }
        if (statementsBefore > 0) {
            report(node, 'imports come before every other statement');
        }
        seen.add(module);
    }
}

// Every name the code reads that it does not declare must be a global runtime 2.0 lists; globals and module
// bindings that have a member list are used only through those members.
function checkNames(ast, report) {
    const scopes = eslintScope.analyze(ast, { ecmaVersion: 2022, sourceType: 'module' });
    const uses = new Map(); // Identifier node -> allowed member names (a Set), or null for no member check
    for (const reference of scopes.globalScope.through) {
        const name = reference.identifier.name;
        if (name === 'globalThis') {
            uses.set(reference.identifier, new Set(Object.keys(GLOBALS)));
        } else if (!Object.hasOwn(GLOBALS, name)) {
            report(reference.identifier, `not a global of runtime 2.0: ${name}`);
        } else {
            uses.set(reference.identifier, GLOBALS[name]);
        }
    }
    for (const scope of scopes.scopes) {
        for (const reference of scope.references) {
            const definition = reference.resolved && reference.resolved.defs[0];
            if (definition && definition.type === 'ImportBinding') {
                uses.set(reference.identifier, MODULE_MEMBERS[definition.parent.source.value] || new Set());
            }
        }
    }
    walk.fullAncestor(ast, (node, state, ancestors) => {
        const members = uses.get(node);
        if (!members) {
            return;
        }
        const parent = ancestors[ancestors.length - 2];
        const isObjectOfMember = parent.type === 'MemberExpression' && parent.object === node;
        if (isObjectOfMember && (parent.computed || !members.has(parent.property.name))) {
            const shown = `${node.name}${parent.computed ? '[...]' : `.${parent.property.name}`}`;
            const combinator = node.name === 'Promise' && !parent.computed && COMBINATORS.has(parent.property.name);
            report(node, combinator ? `${shown} can exceed the function memory; await one at a time` : `not in runtime 2.0: ${shown}`);
        }
        const isCalled = (parent.type === 'CallExpression' || parent.type === 'NewExpression') && parent.callee === node;
        const isInstanceofClass = parent.type === 'BinaryExpression' && parent.operator === 'instanceof' && parent.right === node;
        if (!isObjectOfMember && !isCalled && !isInstanceofClass) {
            report(node, `use ${node.name} only through its members, so they can be checked`);
        }
    });
}
