/** The SDK's version: in the User-Agent of every request (a test keeps it equal to package.json's). */
export const VERSION = "0.1.0";
