// Types for the part of Agora's `agora-token` package (src/AccessToken2.js, CommonJS, untyped) that
// src/services/agora-token.ts uses: building, parsing and checking the signature of AccessToken2.
declare module 'agora-token/src/AccessToken2.js' {
  namespace accessToken2 {
    class Service {
      constructor(serviceType: number);
      service_type(): number;
      add_privilege(privilege: number, expire: number): void;
      /** Privilege → expiry in seconds after the token's issue time. */
      __privileges: Record<string, number>;
    }
    class ServiceChat extends Service {
      constructor(userId?: string);
      /** A string when built, the raw bytes when parsed. */
      __user_id: string | Buffer;
      static kPrivilegeUser: number;
      static kPrivilegeApp: number;
    }
    class AccessToken2 {
      constructor(appId: string, appCertificate: string, issueTs: number, expire: number);
      /** A string when built, the raw bytes when parsed. */
      appId: string | Buffer;
      issueTs: number;
      expire: number;
      salt: number;
      services: Service[];
      add_service(service: Service): void;
      getServices(serviceType: number): Service[];
      build(): string;
      from_string(token: string): boolean;
      verifySignature(appCertificate: string): boolean;
    }
    const kChatServiceType: number;
  }
  export = accessToken2;
}
