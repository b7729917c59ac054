import 'reflect-metadata';
import { OptionalAuth } from '../decorators/optional-auth.decorator.js';
import { Public } from '../decorators/public.decorator.js';
import { RequireClaims } from '../decorators/require-claims.decorator.js';
import { routePolicy } from './route-policy.js';

@RequireClaims({ scopes: ['orders:read', 'orders:write'] })
class OrdersController {
  @RequireClaims({ scopes: { anyOf: ['orders:write', 'admin'] }, roles: ['clerk'] })
  update(): void {}

  @Public()
  list(): void {}

  plain(): void {}
}

@Public()
@OptionalAuth()
class OpenController {
  profile(): void {}
}

describe('routePolicy: one reading of a route’s decorators for the guard, RFC 9728 metadata and OpenAPI', () => {
  it('joins the class’s requirements and the method’s, and lists each scope once in the order first named', () => {
    const policy = routePolicy(OrdersController, OrdersController.prototype.update);
    expect(policy.requirements).toEqual([
      { scopes: ['orders:read', 'orders:write'] },
      { scopes: { anyOf: ['orders:write', 'admin'] }, roles: ['clerk'] },
    ]);
    expect(policy.scopes).toEqual(['orders:read', 'orders:write', 'admin']);
    expect(policy).toMatchObject({ isPublic: false, isOptional: false });
  });

  it('takes @Public() and @OptionalAuth() from the method, else from the class', () => {
    expect(routePolicy(OrdersController, OrdersController.prototype.list).isPublic).toBe(true);
    expect(routePolicy(OrdersController, OrdersController.prototype.plain)).toMatchObject({
      isPublic: false,
      scopes: ['orders:read', 'orders:write'],
    });
    expect(routePolicy(OpenController, OpenController.prototype.profile)).toMatchObject({ isPublic: true, isOptional: true, requirements: [] });
  });

  it('reads a route once: later callers get the same frozen policy', () => {
    const first = routePolicy(OrdersController, OrdersController.prototype.update);
    expect(routePolicy(OrdersController, OrdersController.prototype.update)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.requirements) && Object.isFrozen(first.scopes)).toBe(true);
  });
});
