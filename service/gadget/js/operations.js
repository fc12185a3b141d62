// Every GraphQL operation the gadget sends, in one place. tests/test_gadget.py validates each
// `gql` document against the service's schema, so a schema change that breaks the gadget
// fails the suite (subscriptions are checked once the schema has them).

const gql = (strings) => strings.join('');


export const VIEWER = gql`
query GadgetViewer {
  viewer { id role permissions customer { id displayName } }
  limits { textLength phoneRegion }
}`;


// The list and its live changes carry each entry's candidates as scores only (the badge
// counts them): with every candidate's details a full list would be an answer the service
// refuses as too costly (QUERY_TOO_COSTLY). The form asks for them (ENTRY_CANDIDATES).
export const OPEN_LIST = gql`
query GadgetOpenList($agentId: ID, $first: Int) {
  openList(agentId: $agentId, first: $first) {
    totalCount
    edges { node {
      id
      status
      agentId
      displayName
      createdAt
      prefill { firstName lastName email phone }
      candidates { score }
      activityCount
      activity { id channel subject occurredAt sender { name email phone } }
    } }
  }
}`;

export const OPEN_LIST_CHANGED = gql`
subscription GadgetOpenListChanged($agentId: ID) {
  openListChanged(agentId: $agentId) {
    change
    entry {
      id
      status
      agentId
      displayName
      createdAt
      prefill { firstName lastName email phone }
      candidates { score }
      activityCount
      activity { id channel subject occurredAt sender { name email phone } }
    }
  }
}`;

export const ENTRY_CANDIDATES = gql`
query GadgetEntryCandidates($id: ID!) {
  openListEntry(id: $id) {
    id
    status
    candidates { score reasons { field method } customer { id displayName organizationName emails { address } phones { number } } }
  }
}`;

export const ACTIVITY_RECORDED = gql`
subscription GadgetActivityRecorded($agentId: ID) {
  activityRecorded(agentId: $agentId) {
    outcome
    activity { id channel occurredAt sender { name email phone } }
    customer { id displayName organizationName }
    openListEntry { id displayName }
  }
}`;



export const CREATE_FROM_OPEN_LIST = gql`
mutation GadgetCreateFromOpenList($entryId: ID!, $input: CustomerInput, $confirm: Boolean!) {
  createCustomerFromOpenList(entryId: $entryId, input: $input, confirmNotDuplicate: $confirm) {
    __typename
    ... on CreateCustomerFromOpenListSuccess {
      customer { id displayName }
      activity { id channel }
      duplicates { score customer { id displayName } }
    }
    ... on AlreadyResolvedError { entry { status customer { id displayName } } }
    ... on DuplicateSuspectedError { candidates { score reasons { field method } customer { id displayName organizationName emails { address } phones { number } } } }
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { limit errors { field code limit message fieldMessage } }
  }
}`;

export const DISCARD = gql`
mutation GadgetDiscard($entryId: ID!) {
  discardOpenListEntry(entryId: $entryId) {
    __typename
    ... on DiscardOpenListEntrySuccess { entry { id status } }
    ... on AlreadyResolvedError { entry { id status } }
    ... on UserError { code message fieldMessage field }
  }
}`;

export const ASSOCIATE = gql`
mutation GadgetAssociate($activityId: ID!, $customerId: ID!) {
  associateActivity(activityId: $activityId, customerId: $customerId) {
    __typename
    ... on AssociateActivitySuccess { activity { id } customer { id displayName } }
    ... on UserError { code message fieldMessage field }
  }
}`;

export const CREATE_CUSTOMER = gql`
mutation GadgetCreateCustomer($input: CustomerInput!, $activityId: ID, $confirm: Boolean!) {
  createCustomer(input: $input, activityId: $activityId, confirmNotDuplicate: $confirm) {
    __typename
    ... on CreateCustomerSuccess {
      customer { id displayName }
      activity { id channel }
      duplicates { score customer { id displayName } }
    }
    ... on DuplicateSuspectedError { candidates { score reasons { field method } customer { id displayName organizationName emails { address } phones { number } } } }
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { limit errors { field code limit message fieldMessage } }
  }
}`;

export const UNASSOCIATED = gql`
query GadgetUnassociated($first: Int) {
  activities(unassociated: true, first: $first) {
    totalCount
    edges { node {
      id
      channel
      subject
      occurredAt
      agentId
      sender { name email phone }
      openListEntry { id status agentId }
    } }
  }
}`;

export const SEARCH_CUSTOMERS = gql`
query GadgetSearchCustomers($search: String, $first: Int) {
  customers(search: $search, first: $first) {
    totalCount
    edges { node { id displayName emails { address } phones { number } } }
  }
}`;


export const CUSTOMER = gql`
# A contact's MISSING_EMAIL warning is its canCommunicate here: with every contact's warnings
# list the answer would count as too costly (QUERY_TOO_COSTLY).
query GadgetCustomer($id: ID!, $activities: Int!) {
  customer(id: $id) {
    id
    version
    displayName
    firstName
    lastName
    organizationName
    externalId
    emails { address }
    phones { number }
    address { street city postcode country }
    activities(first: $activities) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id channel direction subject text occurredAt associatedAt agentId sender { name email phone } } }
    }
    main: contacts(role: MAIN, first: 100) {
      totalCount
      edges { node {
        id version owner role salutation title firstName lastName email phone
        reminderContact canCommunicate displayName
        account { id enabled permissions }
      } }
    }
    additional: contacts(role: ADDITIONAL, first: 100) {
      totalCount
      edges { node {
        id version owner role salutation title firstName lastName email phone
        reminderContact canCommunicate displayName
        account { id enabled permissions }
      } }
    }
  }
}`;

export const CUSTOMER_ACTIVITIES = gql`
query GadgetCustomerActivities($id: ID!, $first: Int!, $after: String) {
  customer(id: $id) {
    id
    # The same fields as GadgetCustomer's first page: the tab shows who handled each
    # activity and what it said.
    activities(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id channel direction subject text occurredAt associatedAt agentId sender { name email phone } } }
    }
  }
}`;

/** What the customer page polls to learn that someone else changed the customer. */
export const CUSTOMER_VERSION = gql`
query GadgetCustomerVersion($id: ID!) {
  customer(id: $id) {
    id
    version
    main: contacts(role: MAIN, first: 1) { totalCount }
    additional: contacts(role: ADDITIONAL, first: 1) { totalCount }
    activities(first: 1) { totalCount }
  }
}`;

export const UPDATE_CUSTOMER = gql`
mutation GadgetUpdateCustomer($id: ID!, $expectedVersion: Int!, $input: CustomerInput!) {
  updateCustomer(id: $id, expectedVersion: $expectedVersion, input: $input) {
    __typename
    ... on UpdateCustomerSuccess { customer { id version displayName } }
    ... on VersionConflictError { expectedVersion currentVersion }
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { limit errors { field code limit message fieldMessage } }
  }
}`;

export const CONTACT = gql`
query GadgetContact($id: ID!) {
  contact(id: $id) {
    id version owner role salutation title firstName lastName email phone
    reminderContact canCommunicate displayName
    warnings { code message field }
    account { id enabled permissions }
    customer { id displayName }
  }
}`;

export const ADD_CONTACT = gql`
mutation GadgetAddContact($customerId: ID!, $input: ContactInput!) {
  addContact(customerId: $customerId, input: $input) {
    __typename
    ... on AddContactSuccess { contact { id displayName canCommunicate warnings { code message field } } }
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { limit errors { field code limit message fieldMessage } }
  }
}`;

export const UPDATE_CONTACT = gql`
mutation GadgetUpdateContact($id: ID!, $expectedVersion: Int!, $input: ContactInput!) {
  updateContact(id: $id, expectedVersion: $expectedVersion, input: $input) {
    __typename
    ... on UpdateContactSuccess { contact { id version role displayName canCommunicate warnings { code message field } } }
    ... on VersionConflictError { expectedVersion currentVersion }
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { limit errors { field code limit message fieldMessage } }
  }
}`;

export const REMOVE_CONTACT = gql`
mutation GadgetRemoveContact($id: ID!) {
  removeContact(id: $id) {
    __typename
    ... on RemoveContactSuccess { removedContactId }
    ... on UserError { code message fieldMessage field }
  }
}`;

export const CREATE_ACCOUNT = gql`
mutation GadgetCreateAccount($contactId: ID!, $permissions: [CustomerPermission!]!) {
  createCustomerAccount(contactId: $contactId, permissions: $permissions) {
    __typename
    ... on CustomerAccountCredentialSuccess { credential contact { id account { id enabled permissions } } }
    ... on UserError { code message fieldMessage field }
    ... on InvalidInputError { limit errors { field code limit message fieldMessage } }
  }
}`;

export const DIRECTORY = gql`
query GadgetDirectory($filter: ContactFilter, $orderBy: ContactOrder, $first: Int, $after: String) {
  contacts(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id version salutation title firstName lastName email phone role
      reminderContact canCommunicate displayName owner
      customer { id displayName }
    } }
  }
}`;
