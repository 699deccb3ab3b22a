/** Activity failure types the workflow must not retry: the file itself is the problem. */
export const FILE_FAILURES = ['InvalidCsv', 'FileChanged', 'FileNotFound'];
